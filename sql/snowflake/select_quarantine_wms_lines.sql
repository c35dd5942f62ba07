-- Each quarantined row once, with every batch that quarantined it (_SEEN_BATCHES; _BATCH_ID is the first).
-- --batch lists the rows that batch quarantined, including rows another batch had quarantined too
-- (and, in a warehouse older than row identity, the rows it quarantined before).
SELECT _BATCH_ID, _SOURCE_FILE, _POSITION, SHIPMENT_ID, LINE_NO, REASONS, RAW_LINE, _SEEN_BATCHES,
       _QUARANTINED_AT
FROM QUARANTINE.WMS_LINES AS q
WHERE %(batch_id)s IS NULL
    OR EXISTS (
        SELECT 1 FROM OPS.QUARANTINE_SIGHTINGS AS s
        WHERE s.QUARANTINE_TABLE = 'QUARANTINE.WMS_LINES' AND s._ROW_KEY = q._ROW_KEY AND s.BATCH_ID = %(batch_id)s
    )
    OR q._BATCH_ID = %(batch_id)s
ORDER BY _BATCH_ID, _SOURCE_FILE, _POSITION;
