-- The shipment lines the checked batches published.
SELECT SHIPMENT_ID, LINE_NO, ORDER_ID, QUANTITY, SHIPPED_AT, _BATCH_ID
FROM CORE.SHIPMENT_LINES
WHERE _LOADED_AT >= %(since)s AND _BATCH_ID IN (%(batch_ids)s);
