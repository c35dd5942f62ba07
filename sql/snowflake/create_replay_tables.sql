-- Backfills and reprocessing (flows/backfill.py, flows/reprocess.py): their records and the history that keeps
-- every superseded version of a published row.

-- A batch version names the version it replaced (NULL: the window's first version, its original run).
ALTER TABLE OPS.LOAD_BATCHES ADD COLUMN IF NOT EXISTS SUPERSEDES VARCHAR;

-- One row per backfill: what was asked, by whom, with which code, and how its windows ended.
CREATE TABLE IF NOT EXISTS OPS.BACKFILLS (
    BACKFILL_ID        VARCHAR NOT NULL,
    SOURCE             VARCHAR NOT NULL,
    RANGE_START        TIMESTAMP_NTZ NOT NULL,
    RANGE_END          TIMESTAMP_NTZ NOT NULL,
    WINDOW_SECONDS     NUMBER(38, 0) NOT NULL,
    WORKERS            NUMBER(38, 0) NOT NULL,
    REASON             VARCHAR,
    REQUESTED_BY       VARCHAR NOT NULL,     -- NORTHSTAR_USER, else the OS user
    CODE_VERSION       VARCHAR,
    FLOW_RUN_ID        VARCHAR,
    WINDOWS_TOTAL      NUMBER(38, 0) NOT NULL,
    WINDOWS_COMMITTED  NUMBER(38, 0),        -- committed by this backfill
    WINDOWS_SKIPPED    NUMBER(38, 0),        -- already committed (a resumed backfill) or running elsewhere
    WINDOWS_HELD       NUMBER(38, 0),
    WINDOWS_FAILED     NUMBER(38, 0),
    ROWS_PUBLISHED     NUMBER(38, 0),
    STATUS             VARCHAR NOT NULL,     -- RUNNING, COMPLETED, HELD (some window held), FAILED
    STARTED_AT         TIMESTAMP_NTZ NOT NULL,
    FINISHED_AT        TIMESTAMP_NTZ
);

-- One row per table per replayed batch: what the new version changed against the one it superseded.
CREATE TABLE IF NOT EXISTS OPS.REPROCESS_DIFFS (
    REPROCESS_ID   VARCHAR NOT NULL,
    SOURCE         VARCHAR NOT NULL,
    BATCH_ID       VARCHAR NOT NULL,     -- the new version
    SUPERSEDES     VARCHAR NOT NULL,     -- the version it replaced
    TABLE_NAME     VARCHAR NOT NULL,
    ROWS_ADDED     NUMBER(38, 0) NOT NULL,
    ROWS_CHANGED   NUMBER(38, 0) NOT NULL,
    ROWS_REMOVED   NUMBER(38, 0) NOT NULL,
    SAMPLE_KEYS    VARCHAR,              -- JSON: {"added": [...], "changed": [...], "removed": [...]}, <= 10 each
    REASON         VARCHAR NOT NULL,
    REQUESTED_BY   VARCHAR NOT NULL,
    CODE_VERSION   VARCHAR,
    CREATED_AT     TIMESTAMP_NTZ NOT NULL
);

-- Superseded rows: what a replaced version had published, as it was, with the version that replaced it.
CREATE TABLE IF NOT EXISTS CORE.ORDERS_HISTORY (
    ORDER_ID            NUMBER(38, 0) NOT NULL,
    CUSTOMER_ID         NUMBER(38, 0) NOT NULL,
    STATUS              VARCHAR NOT NULL,
    CURRENCY            VARCHAR NOT NULL,
    TOTAL_AMOUNT_MINOR  NUMBER(38, 0) NOT NULL,
    CREATED_AT          TIMESTAMP_NTZ NOT NULL,
    UPDATED_AT          TIMESTAMP_NTZ NOT NULL,
    _BATCH_ID           VARCHAR NOT NULL,
    _LOADED_AT          TIMESTAMP_NTZ NOT NULL,
    _DELETED_AT         TIMESTAMP_NTZ,
    _SUPERSEDED_BY      VARCHAR NOT NULL,
    _SUPERSEDED_AT      TIMESTAMP_NTZ NOT NULL
);
CREATE TABLE IF NOT EXISTS CORE.ORDER_LINES_HISTORY (
    ORDER_ID          NUMBER(38, 0) NOT NULL,
    LINE_NO           NUMBER(38, 0) NOT NULL,
    SKU               VARCHAR NOT NULL,
    QUANTITY          NUMBER(38, 0) NOT NULL,
    UNIT_PRICE_MINOR  NUMBER(38, 0) NOT NULL,
    UPDATED_AT        TIMESTAMP_NTZ,
    _BATCH_ID         VARCHAR NOT NULL,
    _LOADED_AT        TIMESTAMP_NTZ NOT NULL,
    _DELETED_AT       TIMESTAMP_NTZ,
    _SUPERSEDED_BY    VARCHAR NOT NULL,
    _SUPERSEDED_AT    TIMESTAMP_NTZ NOT NULL
);
-- The superseded version's quarantine sightings (its verdicts), for the diff and to show any earlier state.
CREATE TABLE IF NOT EXISTS OPS.QUARANTINE_SIGHTINGS_HISTORY (
    QUARANTINE_TABLE  VARCHAR NOT NULL,
    _ROW_KEY          VARCHAR NOT NULL,
    BATCH_ID          VARCHAR NOT NULL,
    REASONS           ARRAY NOT NULL,
    _SOURCE_ROW       NUMBER(38, 0),
    SEEN_AT           TIMESTAMP_NTZ NOT NULL,
    _SUPERSEDED_BY    VARCHAR NOT NULL,
    _SUPERSEDED_AT    TIMESTAMP_NTZ NOT NULL
);

-- A fulfillment version's superseded rows (sql/snowflake/reprocess/supersede_fulfillment.sql).
CREATE TABLE IF NOT EXISTS CORE.SHIPMENT_LINES_HISTORY (
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
    _LOADED_AT       TIMESTAMP_NTZ NOT NULL,
    _SUPERSEDED_BY   VARCHAR NOT NULL,
    _SUPERSEDED_AT   TIMESTAMP_NTZ NOT NULL
);
CREATE TABLE IF NOT EXISTS CORE.SHIPMENTS_HISTORY (
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
    _LOADED_AT       TIMESTAMP_NTZ NOT NULL,
    _SUPERSEDED_BY   VARCHAR NOT NULL,
    _SUPERSEDED_AT   TIMESTAMP_NTZ NOT NULL
);
CREATE TABLE IF NOT EXISTS OPS.WMS_FILES_HISTORY (
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
    _RECORDED_AT       TIMESTAMP_NTZ NOT NULL,
    _SUPERSEDED_BY     VARCHAR NOT NULL,
    _SUPERSEDED_AT     TIMESTAMP_NTZ NOT NULL
);
