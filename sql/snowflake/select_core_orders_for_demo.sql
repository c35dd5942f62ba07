-- Every published order, for the demo's other feeds (the demo's warehouse holds a few thousand).
SELECT ORDER_ID, STATUS, CURRENCY, TOTAL_AMOUNT_MINOR, CREATED_AT FROM CORE.ORDERS ORDER BY ORDER_ID;
