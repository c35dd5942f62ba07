SELECT _row_id FROM batch WHERE warehouse_code IS NULL OR warehouse_code NOT IN (SELECT unnest($known_warehouses))
