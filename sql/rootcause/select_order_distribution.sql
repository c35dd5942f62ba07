-- Orders per created day (UTC) and status in [low, high): count, amount median and p95 (the status mix and the
-- amounts; null rates come from the not_null checks, select_null_rates_in_range.sql).
SELECT CAST(CREATED_AT AS DATE) AS DAY, STATUS, CURRENCY, COUNT(*) AS N,
       MEDIAN(TOTAL_AMOUNT_MINOR) AS AMOUNT_P50,
       PERCENTILE_CONT(0.95) WITHIN GROUP (ORDER BY TOTAL_AMOUNT_MINOR) AS AMOUNT_P95
FROM CORE.ORDERS
WHERE CREATED_AT >= %(low)s AND CREATED_AT < %(high)s
GROUP BY 1, 2, 3
ORDER BY 1, 2, 3
