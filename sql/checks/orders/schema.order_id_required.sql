SELECT _row_id FROM batch WHERE order_id IS NULL
