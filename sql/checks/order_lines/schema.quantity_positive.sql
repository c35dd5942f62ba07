SELECT _row_id FROM batch WHERE quantity IS NULL OR quantity <= 0
