SELECT _row_id FROM batch WHERE currency IS NULL OR currency NOT IN (SELECT unnest($iso_currencies))
