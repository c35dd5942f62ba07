-- Stripe api versions and event types per payments batch whose window overlaps [low, high).
SELECT e._BATCH_ID AS BATCH_ID, e.API_VERSION, e.EVENT_TYPE, COUNT(*) AS N
FROM RAW.STRIPE_EVENTS AS e
WHERE e._BATCH_ID IN (
    SELECT BATCH_ID FROM OPS.LOAD_BATCHES
    WHERE SOURCE = 'payments' AND WINDOW_END > %(low)s AND WINDOW_START < %(high)s
)
GROUP BY 1, 2, 3
ORDER BY 1, 2, 3
