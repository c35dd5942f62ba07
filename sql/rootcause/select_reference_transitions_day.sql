-- References (payments, shipment lines) that waited for an order created on the day: they arrived before it.
SELECT t.REF_KIND, t.REF_KEY, t.ORDER_ID, t.STATE, t.PENDING_SINCE, t.TRANSITION_AT, t.SOURCE_BATCH_ID,
       t._BATCH_ID AS BATCH_ID, o._BATCH_ID AS ORDER_BATCH_ID
FROM OPS.REFERENCE_TRANSITIONS AS t
JOIN CORE.ORDERS AS o ON o.ORDER_ID = t.ORDER_ID
WHERE o.CREATED_AT >= %(low)s AND o.CREATED_AT < %(high)s
ORDER BY t.TRANSITION_AT, t.REF_KEY
LIMIT 100
