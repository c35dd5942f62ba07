-- The day's duplicate candidate pairs (the later order's business day), each with the consistency batch that found
-- it and, for both orders, the orders batch that published it (CORE's row; an order CORE holds twice gives two rows),
-- its customer, amount and creation time. At most 100 rows.
SELECT d.RULE_ID, d.ORDER_ID, d.DUPLICATE_OF, d._BATCH_ID AS BATCH_ID, d._FOUND_AT AS FOUND_AT,
       o._BATCH_ID AS ORDER_BATCH_ID, f._BATCH_ID AS DUPLICATE_OF_BATCH_ID,
       o.CUSTOMER_ID, o.CURRENCY, o.TOTAL_AMOUNT_MINOR, o.CREATED_AT, f.CREATED_AT AS DUPLICATE_OF_CREATED_AT
FROM OPS.DUPLICATE_CANDIDATES AS d
LEFT JOIN CORE.ORDERS AS o ON o.ORDER_ID = d.ORDER_ID
LEFT JOIN CORE.ORDERS AS f ON f.ORDER_ID = d.DUPLICATE_OF
WHERE d.BUSINESS_DATE = %(day)s
ORDER BY d.ORDER_ID, d.DUPLICATE_OF, d._BATCH_ID, o._BATCH_ID, f._BATCH_ID
LIMIT 100
