-- The batches the monitors read: every batch whose window started since %(since)s (4 weeks and a day ago).
SELECT BATCH_ID, SOURCE, WINDOW_START, WINDOW_END, STATUS, ROWS_EXTRACTED, ROWS_QUARANTINED, FINISHED_AT
FROM OPS.LOAD_BATCHES
WHERE WINDOW_START >= %(since)s
ORDER BY SOURCE, WINDOW_START;
