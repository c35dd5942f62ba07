SELECT _row_id FROM batch WHERE customer_id IS NULL
