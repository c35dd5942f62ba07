-- Contents already taken (loaded or quarantined whole), oldest first; a DUPLICATE row only repeats one.
SELECT SHA256, REMOTE_PATH, STATUS, _BATCH_ID
FROM OPS.WMS_FILES
WHERE SHA256 IN (%(shas)s) AND STATUS <> 'DUPLICATE'
ORDER BY _RECORDED_AT, _BATCH_ID;
