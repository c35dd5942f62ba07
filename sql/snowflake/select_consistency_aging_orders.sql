-- Paid orders that turned N days old in the run's window, with how many shipment lines they have.
SELECT o.ORDER_ID, o.STATUS, o.CREATED_AT, COUNT(l.ORDER_ID) AS SHIPMENT_LINES
FROM CORE.ORDERS AS o
LEFT JOIN CORE.SHIPMENT_LINES AS l ON l.ORDER_ID = o.ORDER_ID
WHERE o._DELETED_AT IS NULL AND o.STATUS = 'paid' AND o.CREATED_AT >= %(low)s AND o.CREATED_AT < %(high)s
GROUP BY o.ORDER_ID, o.STATUS, o.CREATED_AT;
