-- Every consistency batch (gate run) whose window ended within a business day ([low, high) in UTC), newest first.
SELECT BATCH_ID, STATUS, REASON, WINDOW_START, WINDOW_END, ROWS_EXTRACTED, ROWS_QUARANTINED, ROWS_PUBLISHED,
       FINISHED_AT
FROM OPS.LOAD_BATCHES
WHERE SOURCE = 'consistency' AND WINDOW_END > %(low)s AND WINDOW_END <= %(high)s
ORDER BY WINDOW_END DESC, FINISHED_AT DESC;
