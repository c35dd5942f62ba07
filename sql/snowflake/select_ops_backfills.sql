-- The recorded backfills, newest first; a RUNNING one without a heartbeat since %(stale_before)s (its process is
-- gone) reads as INTERRUPTED (the next backfill of its source records it so: update_ops_backfills_interrupted.sql).
SELECT BACKFILL_ID, SOURCE, RANGE_START, RANGE_END, WINDOW_SECONDS, WORKERS, REASON, REQUESTED_BY, CODE_VERSION,
       WINDOWS_TOTAL, WINDOWS_COMMITTED, WINDOWS_SKIPPED, WINDOWS_HELD, WINDOWS_FAILED, ROWS_PUBLISHED,
       CASE WHEN STATUS = 'RUNNING' AND COALESCE(HEARTBEAT_AT, STARTED_AT) < %(stale_before)s THEN 'INTERRUPTED'
            ELSE STATUS END AS STATUS,
       STARTED_AT, FINISHED_AT, HEARTBEAT_AT
FROM OPS.BACKFILLS
ORDER BY STARTED_AT DESC;
