-- Every check result of one batch.
INSERT INTO OPS.CHECK_RESULTS (
    BATCH_ID, SOURCE, CHECK_ID, DATASET, SEVERITY, OUTCOME, ROWS_CHECKED, ROWS_FAILED, EXPECTED, ACTUAL,
    COLUMN_NAME, CHECKED_AT
) VALUES (
    %(batch_id)s, %(source)s, %(check_id)s, %(dataset)s, %(severity)s, %(outcome)s, %(rows_checked)s,
    %(rows_failed)s, %(expected)s, %(actual)s, %(column)s, %(checked_at)s
);
