-- The not_null checks' results (passed and failed) of the batches whose window overlaps [low, high): per batch,
-- dataset and column, the rows checked and the rows whose value was null. A not_null check's expectation reads
-- '<column> is not null' (validators/rules.py).
SELECT c.BATCH_ID, c.SOURCE, c.CHECK_ID, c.DATASET, c.COLUMN_NAME, c.ROWS_CHECKED, c.ROWS_FAILED
FROM OPS.CHECK_RESULTS AS c
JOIN OPS.LOAD_BATCHES AS b ON b.BATCH_ID = c.BATCH_ID
WHERE b.WINDOW_END > %(low)s AND b.WINDOW_START < %(high)s AND c.EXPECTED LIKE '%% is not null'
  AND c.OUTCOME IN ('passed', 'failed', 'warn')
ORDER BY c.BATCH_ID, c.CHECK_ID, c.DATASET
