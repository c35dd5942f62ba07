-- Payments and refunds of the day (created in [low, high)) that a comparison with finance should have counted and
-- did not: a consistency batch compared the day after the row's event time (plus the overlap) and before the window
-- of the source batch that published the row. Window times, not wall-clock times, so a rerun of an old window
-- judges the same. At most 100 rows; TOTAL_ROWS counts them all (before the limit).
WITH checks AS (
    SELECT DISTINCT b.WINDOW_END AS CHECKED_UNTIL
    FROM OPS.DAILY_RECONCILIATION AS d
    JOIN OPS.LOAD_BATCHES AS b ON b.BATCH_ID = d._BATCH_ID
    WHERE d.BUSINESS_DATE = %(day)s
),
day_rows AS (
    SELECT 'refund' AS KIND, REFUND_ID AS KEY, PAYMENT_INTENT_ID, AMOUNT, CURRENCY, CREATED_AT, _BATCH_ID, _LOADED_AT
    FROM CORE.REFUNDS WHERE CREATED_AT >= %(low)s AND CREATED_AT < %(high)s
    UNION ALL
    SELECT 'payment', PAYMENT_INTENT_ID, PAYMENT_INTENT_ID, AMOUNT_CAPTURED, CURRENCY, CREATED_AT, _BATCH_ID, _LOADED_AT
    FROM CORE.PAYMENTS WHERE CREATED_AT >= %(low)s AND CREATED_AT < %(high)s
)
SELECT r.KIND, r.KEY, r.PAYMENT_INTENT_ID, r.AMOUNT, r.CURRENCY, r.CREATED_AT, r._BATCH_ID AS BATCH_ID,
       r._LOADED_AT AS LOADED_AT, MIN(c.CHECKED_UNTIL) AS RECONCILED_AT, b.WINDOW_START, b.RAW_URI, b.LINEAGE_RUN_ID,
       COUNT(*) OVER () AS TOTAL_ROWS
FROM day_rows AS r
JOIN OPS.LOAD_BATCHES AS b ON b.BATCH_ID = r._BATCH_ID
JOIN checks AS c
  ON c.CHECKED_UNTIL > DATEADD('minute', %(overlap_minutes)s, r.CREATED_AT) AND c.CHECKED_UNTIL <= b.WINDOW_START
GROUP BY r.KIND, r.KEY, r.PAYMENT_INTENT_ID, r.AMOUNT, r.CURRENCY, r.CREATED_AT, r._BATCH_ID, r._LOADED_AT,
         b.WINDOW_START, b.RAW_URI, b.LINEAGE_RUN_ID
ORDER BY b.WINDOW_START, r.KEY
LIMIT 100
