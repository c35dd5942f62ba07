-- Payments and refunds of the day (created in [low, high)) published by a source batch whose window began at or after
-- the end of the window of the first consistency batch that compared the day with finance: they were not there when
-- the day was reconciled (window times, not wall-clock times, so a rerun of an old window judges the same). At most
-- 100 rows.
WITH first_check AS (
    SELECT MIN(b.WINDOW_END) AS RECONCILED_AT
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
       r._LOADED_AT AS LOADED_AT, f.RECONCILED_AT, b.WINDOW_START, b.RAW_URI, b.LINEAGE_RUN_ID
FROM day_rows AS r
CROSS JOIN first_check AS f
JOIN OPS.LOAD_BATCHES AS b ON b.BATCH_ID = r._BATCH_ID
WHERE f.RECONCILED_AT IS NOT NULL AND b.WINDOW_START >= f.RECONCILED_AT
ORDER BY b.WINDOW_START, r.KEY
LIMIT 100
