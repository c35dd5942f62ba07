-- The order lines history as the lines checks' `batch`: _row_id is "<order_id>#<line_no>". A line without its own
-- UPDATED_AT (loaded before lines carried it) is dated by its load.
SELECT TO_VARCHAR(ORDER_ID) || '#' || TO_VARCHAR(LINE_NO) AS _row_id, ORDER_ID AS order_id, LINE_NO AS line_no,
       SKU AS sku, QUANTITY AS quantity, UNIT_PRICE_MINOR AS unit_price_minor, UPDATED_AT AS updated_at
FROM CORE.ORDER_LINES
WHERE _DELETED_AT IS NULL AND COALESCE(UPDATED_AT, _LOADED_AT) >= %(since)s
