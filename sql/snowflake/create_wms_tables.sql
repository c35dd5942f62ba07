-- Fulfillment from the WMS/3PL SFTP drops. Every published row traces back to its file (remote path and
-- sha256) and its position in it (CSV line number, or X12 segment number counted from ISA = 1).
-- Shipments: one row per shipment, from its first published line (a later batch never overwrites it).
CREATE TABLE IF NOT EXISTS CORE.SHIPMENTS (
    SHIPMENT_ID      VARCHAR NOT NULL,
    ORDER_ID         NUMBER(38, 0),
    WAREHOUSE_CODE   VARCHAR,
    CARRIER          VARCHAR,
    TRACKING_NUMBER  VARCHAR,
    SHIPPED_AT       TIMESTAMP_NTZ,
    FORMAT           VARCHAR,
    _SOURCE_FILE     VARCHAR NOT NULL,
    _FILE_SHA256     VARCHAR NOT NULL,
    _POSITION        NUMBER(38, 0) NOT NULL,
    _BATCH_ID        VARCHAR NOT NULL,
    _LOADED_AT       TIMESTAMP_NTZ NOT NULL
);

-- Shipment lines: one row per (SHIPMENT_ID, LINE_NO), never loaded twice.
CREATE TABLE IF NOT EXISTS CORE.SHIPMENT_LINES (
    SHIPMENT_ID      VARCHAR NOT NULL,
    LINE_NO          NUMBER(38, 0) NOT NULL,
    ORDER_ID         NUMBER(38, 0) NOT NULL,
    SKU              VARCHAR NOT NULL,
    QUANTITY         NUMBER(38, 0) NOT NULL,
    WAREHOUSE_CODE   VARCHAR NOT NULL,
    CARRIER          VARCHAR,
    TRACKING_NUMBER  VARCHAR,
    STATUS           VARCHAR NOT NULL,
    SHIPPED_AT       TIMESTAMP_NTZ NOT NULL,
    FORMAT           VARCHAR NOT NULL,
    _SOURCE_FILE     VARCHAR NOT NULL,
    _FILE_SHA256     VARCHAR NOT NULL,
    _POSITION        NUMBER(38, 0) NOT NULL,
    _BATCH_ID        VARCHAR NOT NULL,
    _LOADED_AT       TIMESTAMP_NTZ NOT NULL
);

-- Rejected lines with every reason, their parsed record and their text as it was in the file. One row per
-- line of a file, however many batches read the file: _ROW_KEY is the SHA-256 of the parsed record, which
-- carries the file's path, sha256 and the line's position (sql/checks/copy_quarantined.sql, shared with the
-- orders). _SEEN_BATCHES, _BATCH_ID, REASONS and _QUARANTINED_AT as in QUARANTINE.ORDERS.
CREATE TABLE IF NOT EXISTS QUARANTINE.WMS_LINES (
    SHIPMENT_ID      VARCHAR,
    LINE_NO          NUMBER(38, 0),
    REASONS          ARRAY NOT NULL,
    RAW_RECORD       VARIANT NOT NULL,
    RAW_LINE         VARCHAR,
    _SOURCE_FILE     VARCHAR NOT NULL,
    _FILE_SHA256     VARCHAR NOT NULL,
    _POSITION        NUMBER(38, 0),
    _SOURCE_ROW      NUMBER(38, 0) NOT NULL,
    _BATCH_ID        VARCHAR NOT NULL,
    _QUARANTINED_AT  TIMESTAMP_NTZ NOT NULL,
    _ROW_KEY         VARCHAR NOT NULL,
    _SEEN_BATCHES    ARRAY NOT NULL
);
ALTER TABLE QUARANTINE.WMS_LINES ADD COLUMN IF NOT EXISTS _ROW_KEY VARCHAR;
ALTER TABLE QUARANTINE.WMS_LINES ADD COLUMN IF NOT EXISTS _SEEN_BATCHES ARRAY;

-- Files rejected whole (empty, wrong encoding, missing columns, truncated, X12 envelope or totals wrong). One
-- row per file content (FILE_SHA256, its _ROW_KEY): a file taken by two batches is one row, with both in
-- _SEEN_BATCHES; REMOTE_PATH, LANDED_URI and _BATCH_ID are the first batch's (the earliest window).
CREATE TABLE IF NOT EXISTS QUARANTINE.WMS_FILES (
    REMOTE_PATH      VARCHAR NOT NULL,
    FILE_NAME        VARCHAR NOT NULL,
    FILE_SHA256      VARCHAR NOT NULL,
    SIZE_BYTES       NUMBER(38, 0) NOT NULL,
    REASON           VARCHAR NOT NULL,
    LANDED_URI       VARCHAR NOT NULL,
    _BATCH_ID        VARCHAR NOT NULL,
    _QUARANTINED_AT  TIMESTAMP_NTZ NOT NULL,
    _ROW_KEY         VARCHAR NOT NULL,
    _SEEN_BATCHES    ARRAY NOT NULL
);
ALTER TABLE QUARANTINE.WMS_FILES ADD COLUMN IF NOT EXISTS _ROW_KEY VARCHAR;
ALTER TABLE QUARANTINE.WMS_FILES ADD COLUMN IF NOT EXISTS _SEEN_BATCHES ARRAY;

-- Every file taken from the drop, once: LOADED, QUARANTINED (whole) or DUPLICATE (content seen before).
-- NEW_VERSION marks a name seen before with different content (PREVIOUS_SHA256).
CREATE TABLE IF NOT EXISTS OPS.WMS_FILES (
    REMOTE_PATH        VARCHAR NOT NULL,
    FILE_NAME          VARCHAR NOT NULL,
    SIZE_BYTES         NUMBER(38, 0) NOT NULL,
    MTIME              TIMESTAMP_NTZ NOT NULL,
    SHA256             VARCHAR NOT NULL,
    FORMAT             VARCHAR,
    STATUS             VARCHAR NOT NULL,
    REASON             VARCHAR,
    NEW_VERSION        BOOLEAN NOT NULL,
    PREVIOUS_SHA256    VARCHAR,
    DUPLICATE_OF       VARCHAR,
    LINES_TOTAL        NUMBER(38, 0) NOT NULL,
    LINES_PUBLISHED    NUMBER(38, 0) NOT NULL,
    LINES_QUARANTINED  NUMBER(38, 0) NOT NULL,
    LANDED_URI         VARCHAR NOT NULL,
    _BATCH_ID          VARCHAR NOT NULL,
    _RECORDED_AT       TIMESTAMP_NTZ NOT NULL
);
