SELECT _row_id FROM batch WHERE total_amount_minor IS NULL OR total_amount_minor < 0
