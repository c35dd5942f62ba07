-- Record a batch in the ledger, guarded: a COMMITTED row is final. An earlier HELD, FAILED or RUNNING row of
-- the batch is replaced; when a COMMITTED row exists the insert writes nothing, and the caller rolls back.
DELETE FROM OPS.LOAD_BATCHES WHERE BATCH_ID = %(batch_id)s AND STATUS <> 'COMMITTED';

INSERT INTO OPS.LOAD_BATCHES (
    BATCH_ID, SOURCE, WINDOW_START, WINDOW_END, WATERMARK_LOW, WATERMARK_HIGH,
    ROWS_EXTRACTED, ROWS_PASSED, ROWS_QUARANTINED, ROWS_PUBLISHED, STATUS, REASON, RAW_URI,
    CODE_VERSION, FLOW_RUN_ID, LINEAGE_RUN_ID, STARTED_AT, FINISHED_AT,
    EXTRACT_SECONDS, VALIDATE_SECONDS, PUBLISH_SECONDS, ROWS_ALREADY_CURRENT, ROWS_REQUARANTINED,
    SAFE_UNTIL, SUPERSEDES
)
SELECT
    %(batch_id)s, %(source)s, %(window_start)s, %(window_end)s, %(watermark_low)s, %(watermark_high)s,
    %(rows_extracted)s, %(rows_passed)s, %(rows_quarantined)s, %(rows_published)s, %(status)s, %(reason)s,
    %(raw_uri)s, %(code_version)s, %(flow_run_id)s, %(lineage_run_id)s, %(started_at)s, %(finished_at)s,
    %(extract_seconds)s, %(validate_seconds)s, %(publish_seconds)s, %(rows_already_current)s, %(rows_requarantined)s,
    %(safe_until)s, %(supersedes)s
WHERE NOT EXISTS (SELECT 1 FROM OPS.LOAD_BATCHES WHERE BATCH_ID = %(batch_id)s AND STATUS = 'COMMITTED');
