-- One table's difference summary for one new batch version (flows/reprocess.py).
INSERT INTO OPS.REPROCESS_DIFFS (
    REPROCESS_ID, SOURCE, BATCH_ID, SUPERSEDES, TABLE_NAME, ROWS_ADDED, ROWS_CHANGED, ROWS_REMOVED, SAMPLE_KEYS,
    REASON, REQUESTED_BY, CODE_VERSION, CREATED_AT
)
VALUES (
    %(reprocess_id)s, %(source)s, %(batch_id)s, %(supersedes)s, %(table_name)s, %(added)s, %(changed)s,
    %(removed)s, %(sample_keys)s, %(reason)s, %(requested_by)s, %(code_version)s, %(created_at)s
);
