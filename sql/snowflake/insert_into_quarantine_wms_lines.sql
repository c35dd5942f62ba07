-- Quarantined WMS lines, with their file, position and text: one row per line of a file, however many batches
-- read the file. _ROW_KEY is its identity: the SHA-256 of its parsed record, which carries its file's path and
-- sha256 and its position in the file, and its copy number (sql/checks/copy_quarantined.sql).
-- This batch's sighting of each row goes to OPS.QUARANTINE_SIGHTINGS (once: a rerun replaces it); then the
-- quarantine row of each key it saw is rebuilt from all of that key's sightings: REASONS every reason any batch
-- found, _SEEN_BATCHES the batches in order, _BATCH_ID and _SOURCE_ROW the first one's (the least batch id: the
-- earliest window), _QUARANTINED_AT the first sighting's time, so the table is the same whatever order the
-- batches ran in. DELETE + INSERT, not MERGE: fakesnow cannot MERGE inside a transaction (DEVELOPERS.md).
DELETE FROM OPS.QUARANTINE_SIGHTINGS
WHERE QUARANTINE_TABLE = 'QUARANTINE.WMS_LINES' AND BATCH_ID = %(batch_id)s;

INSERT INTO OPS.QUARANTINE_SIGHTINGS (QUARANTINE_TABLE, _ROW_KEY, BATCH_ID, REASONS, _SOURCE_ROW, SEEN_AT)
SELECT 'QUARANTINE.WMS_LINES', _ROW_KEY, %(batch_id)s, PARSE_JSON(REASONS), _SOURCE_ROW, %(loaded_at)s
FROM OPS.STAGE_WMS_LINES_QUARANTINE;

DELETE FROM QUARANTINE.WMS_LINES
USING OPS.STAGE_WMS_LINES_QUARANTINE AS s
WHERE QUARANTINE.WMS_LINES._ROW_KEY = s._ROW_KEY;

INSERT INTO QUARANTINE.WMS_LINES (
    SHIPMENT_ID, LINE_NO, REASONS, RAW_RECORD, RAW_LINE, _SOURCE_FILE, _FILE_SHA256, _POSITION, _SOURCE_ROW,
    _BATCH_ID, _QUARANTINED_AT, _ROW_KEY, _SEEN_BATCHES
)
SELECT
    PARSE_JSON(s.RAW_RECORD):shipment_id::VARCHAR, PARSE_JSON(s.RAW_RECORD):line_no::NUMBER(38, 0),
    why.REASONS, PARSE_JSON(s.RAW_RECORD), PARSE_JSON(s.RAW_RECORD):_raw::VARCHAR,
    PARSE_JSON(s.RAW_RECORD):source_file::VARCHAR, PARSE_JSON(s.RAW_RECORD):file_sha256::VARCHAR,
    PARSE_JSON(s.RAW_RECORD):position::NUMBER(38, 0), f._SOURCE_ROW, seen.FIRST_BATCH, seen.FIRST_SEEN_AT,
    s._ROW_KEY, seen.BATCHES
FROM OPS.STAGE_WMS_LINES_QUARANTINE AS s
JOIN (
    SELECT _ROW_KEY, ARRAY_AGG(BATCH_ID) WITHIN GROUP (ORDER BY BATCH_ID) AS BATCHES, MIN(BATCH_ID) AS FIRST_BATCH,
           MIN(SEEN_AT) AS FIRST_SEEN_AT
    FROM OPS.QUARANTINE_SIGHTINGS
    WHERE QUARANTINE_TABLE = 'QUARANTINE.WMS_LINES'
        AND _ROW_KEY IN (SELECT _ROW_KEY FROM OPS.STAGE_WMS_LINES_QUARANTINE)
    GROUP BY _ROW_KEY
) AS seen ON seen._ROW_KEY = s._ROW_KEY
JOIN OPS.QUARANTINE_SIGHTINGS AS f
    ON f.QUARANTINE_TABLE = 'QUARANTINE.WMS_LINES' AND f._ROW_KEY = seen._ROW_KEY AND f.BATCH_ID = seen.FIRST_BATCH
JOIN (
    SELECT g._ROW_KEY, ARRAY_AGG(DISTINCT r.VALUE::VARCHAR) WITHIN GROUP (ORDER BY r.VALUE::VARCHAR) AS REASONS
    FROM OPS.QUARANTINE_SIGHTINGS AS g, LATERAL FLATTEN(input => g.REASONS) AS r
    WHERE g.QUARANTINE_TABLE = 'QUARANTINE.WMS_LINES'
        AND g._ROW_KEY IN (SELECT _ROW_KEY FROM OPS.STAGE_WMS_LINES_QUARANTINE)
    GROUP BY g._ROW_KEY
) AS why ON why._ROW_KEY = s._ROW_KEY;
