-- The shipment lines history as the fulfillment checks' `batch`: _row_id is "<shipment_id>#<line_no>". A published
-- line parsed (parse_error is null); its file's path, digest and position are the system columns.
SELECT SHIPMENT_ID || '#' || TO_VARCHAR(LINE_NO) AS _row_id, SHIPMENT_ID AS shipment_id, ORDER_ID AS order_id,
       LINE_NO AS line_no, SKU AS sku, QUANTITY AS quantity, WAREHOUSE_CODE AS warehouse_code, CARRIER AS carrier,
       TRACKING_NUMBER AS tracking_number, STATUS AS status, SHIPPED_AT AS shipped_at, _SOURCE_FILE AS source_file,
       _FILE_SHA256 AS file_sha256, _POSITION AS position, FORMAT AS format, CAST(NULL AS VARCHAR) AS parse_error
FROM CORE.SHIPMENT_LINES
WHERE SHIPPED_AT >= %(since)s
