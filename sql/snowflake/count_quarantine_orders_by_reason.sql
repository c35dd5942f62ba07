-- A source row re-read by the overlap of the next batch is quarantined in both batches: ROWS counts
-- every quarantine entry, DISTINCT_SOURCE_ROWS the source rows behind them.
SELECT r.VALUE::VARCHAR AS REASON, COUNT(*) AS ROWS_QUARANTINED,
       COUNT(DISTINCT q.RAW_RECORD) AS DISTINCT_SOURCE_ROWS
FROM QUARANTINE.ORDERS AS q, LATERAL FLATTEN(input => q.REASONS) AS r
GROUP BY REASON
ORDER BY REASON;
