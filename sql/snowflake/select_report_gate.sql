-- The consistency gate's history: every consistency batch since %(since)s with its status and reason.
SELECT BATCH_ID, WINDOW_END, STATUS, REASON
FROM OPS.LOAD_BATCHES
WHERE SOURCE = 'consistency' AND WINDOW_START >= %(since)s
ORDER BY WINDOW_END;
