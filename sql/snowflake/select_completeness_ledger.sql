-- The batches that took landed objects: each source batch's manifest (RAW_URI) and status.
SELECT BATCH_ID, SOURCE, STATUS, RAW_URI
FROM OPS.LOAD_BATCHES
WHERE SOURCE IN ('orders', 'payments') AND STATUS IN ('COMMITTED', 'HELD') AND RAW_URI IS NOT NULL;
