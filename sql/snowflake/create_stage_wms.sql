-- Staging tables for fulfillment loads, created once (DDL commits implicitly, so it runs before the load's
-- transaction). Each load empties them, copies its files in and empties them again inside its own
-- transaction, so a load only ever sees its own staged rows. A release that changes one drops it first.
CREATE TRANSIENT TABLE IF NOT EXISTS OPS.STAGE_WMS_LINES (
    SHIPMENT_ID      VARCHAR,
    ORDER_ID         NUMBER(38, 0),
    LINE_NO          NUMBER(38, 0),
    SKU              VARCHAR,
    QUANTITY         NUMBER(38, 0),
    WAREHOUSE_CODE   VARCHAR,
    CARRIER          VARCHAR,
    TRACKING_NUMBER  VARCHAR,
    STATUS           VARCHAR,
    SHIPPED_AT       TIMESTAMP_NTZ,
    SOURCE_FILE      VARCHAR,
    FILE_SHA256      VARCHAR,
    POSITION         NUMBER(38, 0),
    FORMAT           VARCHAR,
    PARSE_ERROR      VARCHAR
);
CREATE TRANSIENT TABLE IF NOT EXISTS OPS.STAGE_WMS_LINES_QUARANTINE (
    REASONS      VARCHAR,
    RAW_RECORD   VARCHAR,
    _SOURCE_ROW  NUMBER(38, 0)
);
CREATE TRANSIENT TABLE IF NOT EXISTS OPS.STAGE_WMS_FILES (
    REMOTE_PATH        VARCHAR,
    FILE_NAME          VARCHAR,
    SIZE_BYTES         NUMBER(38, 0),
    MTIME              TIMESTAMP_NTZ,
    SHA256             VARCHAR,
    FORMAT             VARCHAR,
    STATUS             VARCHAR,
    REASON             VARCHAR,
    NEW_VERSION        BOOLEAN,
    PREVIOUS_SHA256    VARCHAR,
    DUPLICATE_OF       VARCHAR,
    LINES_TOTAL        NUMBER(38, 0),
    LINES_PUBLISHED    NUMBER(38, 0),
    LINES_QUARANTINED  NUMBER(38, 0),
    LANDED_URI         VARCHAR
);
