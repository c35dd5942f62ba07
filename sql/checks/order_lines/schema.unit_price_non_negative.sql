SELECT _row_id FROM batch WHERE unit_price_minor IS NULL OR unit_price_minor < 0
