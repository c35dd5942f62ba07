-- One monitor reading.
INSERT INTO OPS.MONITOR_READINGS (
    RUN_ID, MONITOR, SUBJECT, VALUE, WARN_AT, PAGE_AT, STATUS, BATCH_ID, DAY, DETAIL, EXPECTED, BAND_LOW, BAND_HIGH,
    MEASURED_AT
)
VALUES (
    %(run_id)s, %(monitor)s, %(subject)s, %(value)s, %(warn_at)s, %(page_at)s, %(status)s, %(batch_id)s, %(day)s,
    %(detail)s, %(expected)s, %(band_low)s, %(band_high)s, %(measured_at)s
);
