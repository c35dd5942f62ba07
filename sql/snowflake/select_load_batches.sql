-- ROWS_ALREADY_CURRENT: passed rows another batch had already published (that version or a newer one), so
-- this one changed nothing for them; ROWS_REQUARANTINED: quarantined rows another batch had already
-- quarantined (one quarantine row each, with every batch that saw it). NULL where a source does not count them.
SELECT BATCH_ID, SOURCE, STATUS, WINDOW_START, WINDOW_END, ROWS_EXTRACTED, ROWS_PASSED, ROWS_QUARANTINED,
       ROWS_PUBLISHED, ROWS_ALREADY_CURRENT, ROWS_REQUARANTINED, EXTRACT_SECONDS, VALIDATE_SECONDS,
       PUBLISH_SECONDS, REASON, CODE_VERSION, FINISHED_AT,
       WATERMARK_LOW, WATERMARK_HIGH, SAFE_UNTIL
FROM OPS.LOAD_BATCHES
WHERE (%(source)s IS NULL OR SOURCE = %(source)s)
ORDER BY WINDOW_START, SOURCE;
