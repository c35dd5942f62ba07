-- The ordered lines of the orders select_consistency_customer_orders.sql returns (for the items signature).
SELECT DISTINCT l.ORDER_ID, l.LINE_NO, l.SKU, l.QUANTITY
FROM CORE.ORDER_LINES AS l
JOIN CORE.ORDERS AS o ON o.ORDER_ID = l.ORDER_ID AND o._DELETED_AT IS NULL
JOIN OPS.STAGE_CONSISTENCY_KEYS AS k
  ON k.CUSTOMER_ID = o.CUSTOMER_ID
 AND o.CREATED_AT >= DATEADD('second', -%(seconds)s, k.CREATED_AT)
 AND o.CREATED_AT <= DATEADD('second', %(seconds)s, k.CREATED_AT);
