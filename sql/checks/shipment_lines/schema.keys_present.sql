-- A shipment line needs its shipment, its order, a line number >= 1 and a sku.
SELECT _row_id
FROM batch
WHERE shipment_id IS NULL OR trim(shipment_id) = ''
   OR order_id IS NULL
   OR line_no IS NULL OR line_no < 1
   OR sku IS NULL OR trim(sku) = ''
