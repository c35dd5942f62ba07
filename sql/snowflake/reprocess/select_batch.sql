-- One ledger row by batch id (any source), to resolve a batch named on the command line.
SELECT BATCH_ID, SOURCE, WINDOW_START, WINDOW_END, STATUS, SUPERSEDES FROM OPS.LOAD_BATCHES
WHERE BATCH_ID = %(batch_id)s;
