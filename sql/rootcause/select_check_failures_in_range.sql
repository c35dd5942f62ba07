-- Failed and warning check results of the batches whose window overlaps [low, high).
SELECT c.BATCH_ID, c.SOURCE, c.CHECK_ID, c.DATASET, c.SEVERITY, c.OUTCOME, c.ROWS_CHECKED, c.ROWS_FAILED,
       c.EXPECTED, c.ACTUAL, c.COLUMN_NAME
FROM OPS.CHECK_RESULTS AS c
JOIN OPS.LOAD_BATCHES AS b ON b.BATCH_ID = c.BATCH_ID
WHERE b.WINDOW_END > %(low)s AND b.WINDOW_START < %(high)s AND c.OUTCOME IN ('failed', 'warn')
ORDER BY c.BATCH_ID, c.CHECK_ID, c.DATASET
