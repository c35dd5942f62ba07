-- Rows of the day (event time in [low, high)) whose batch window began more than the overlap after their event
-- time: they arrived late. At most 100 rows, the latest first; TOTAL_ROWS counts them all (before the limit).
WITH day_rows AS (
    SELECT 'refund' AS KIND, REFUND_ID AS KEY, CREATED_AT AS EVENT_AT, _BATCH_ID FROM CORE.REFUNDS
    WHERE CREATED_AT >= %(low)s AND CREATED_AT < %(high)s
    UNION ALL
    SELECT 'payment', PAYMENT_INTENT_ID, CREATED_AT, _BATCH_ID FROM CORE.PAYMENTS
    WHERE CREATED_AT >= %(low)s AND CREATED_AT < %(high)s
)
SELECT r.KIND, r.KEY, r.EVENT_AT, r._BATCH_ID AS BATCH_ID, b.WINDOW_START, b.RAW_URI,
       DATEDIFF('minute', r.EVENT_AT, b.WINDOW_START) AS MINUTES_LATE, COUNT(*) OVER () AS TOTAL_ROWS
FROM day_rows AS r
JOIN OPS.LOAD_BATCHES AS b ON b.BATCH_ID = r._BATCH_ID
WHERE DATEDIFF('minute', r.EVENT_AT, b.WINDOW_START) > %(overlap_minutes)s
ORDER BY MINUTES_LATE DESC, r.KEY
LIMIT 100
