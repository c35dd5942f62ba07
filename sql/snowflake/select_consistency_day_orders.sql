-- The reconciled days' orders (the denominator of the duplicate rate).
SELECT ORDER_ID, CREATED_AT FROM CORE.ORDERS WHERE _DELETED_AT IS NULL AND CREATED_AT >= %(low)s AND CREATED_AT < %(high)s;
