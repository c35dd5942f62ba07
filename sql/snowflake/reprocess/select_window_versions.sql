-- Every ledger row of one source's window: the original batch and its versions (flows/reprocess.py picks the
-- one currently published).
SELECT BATCH_ID, SOURCE, WINDOW_START, WINDOW_END, STATUS, SUPERSEDES, RAW_URI, FINISHED_AT
FROM OPS.LOAD_BATCHES
WHERE SOURCE = %(source)s AND WINDOW_START = %(window_start)s AND WINDOW_END = %(window_end)s
ORDER BY FINISHED_AT, BATCH_ID;
