-- The orders the checked batches published (_LOADED_AT lets Snowflake prune; the batch ids pick the rows).
SELECT ORDER_ID, CUSTOMER_ID, STATUS, CURRENCY, TOTAL_AMOUNT_MINOR, CREATED_AT, UPDATED_AT, _BATCH_ID
FROM CORE.ORDERS
WHERE _DELETED_AT IS NULL AND _LOADED_AT >= %(since)s AND _BATCH_ID IN (%(batch_ids)s);
