-- A backfill starts: what was asked, by whom, with which code (flows/backfill.py); RUNNING until it ends,
-- its heartbeat renewed meanwhile (update_ops_backfills_heartbeat.sql).
INSERT INTO OPS.BACKFILLS (
    BACKFILL_ID, SOURCE, RANGE_START, RANGE_END, WINDOW_SECONDS, WORKERS, REASON, REQUESTED_BY, CODE_VERSION,
    FLOW_RUN_ID, WINDOWS_TOTAL, STATUS, STARTED_AT, HEARTBEAT_AT
)
VALUES (
    %(backfill_id)s, %(source)s, %(range_start)s, %(range_end)s, %(window_seconds)s, %(workers)s, %(reason)s,
    %(requested_by)s, %(code_version)s, %(flow_run_id)s, %(windows_total)s, 'RUNNING', %(started_at)s,
    %(started_at)s
);
