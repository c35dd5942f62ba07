SELECT _row_id FROM batch WHERE sku IS NULL OR trim(sku) = ''
