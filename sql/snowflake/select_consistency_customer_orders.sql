-- Orders of the staged customers created within the duplicate window of one of their new orders.
SELECT DISTINCT o.ORDER_ID, o.CUSTOMER_ID, o.STATUS, o.CURRENCY, o.TOTAL_AMOUNT_MINOR, o.CREATED_AT
FROM CORE.ORDERS AS o
JOIN OPS.STAGE_CONSISTENCY_KEYS AS k
  ON k.CUSTOMER_ID = o.CUSTOMER_ID
 AND o.CREATED_AT >= DATEADD('second', -%(seconds)s, k.CREATED_AT)
 AND o.CREATED_AT <= DATEADD('second', %(seconds)s, k.CREATED_AT)
WHERE o._DELETED_AT IS NULL;
