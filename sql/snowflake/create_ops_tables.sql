-- The batch ledger: one row per batch; its COMMITTED row is written in the same transaction as the data.
CREATE TABLE IF NOT EXISTS OPS.LOAD_BATCHES (
    BATCH_ID          VARCHAR NOT NULL,
    SOURCE            VARCHAR NOT NULL,
    WINDOW_START      TIMESTAMP_NTZ NOT NULL,
    WINDOW_END        TIMESTAMP_NTZ NOT NULL,
    WATERMARK_LOW     TIMESTAMP_NTZ,
    WATERMARK_HIGH    TIMESTAMP_NTZ,
    ROWS_EXTRACTED    NUMBER(38, 0) NOT NULL,
    ROWS_PASSED       NUMBER(38, 0) NOT NULL,
    ROWS_QUARANTINED  NUMBER(38, 0) NOT NULL,
    ROWS_PUBLISHED    NUMBER(38, 0) NOT NULL,
    STATUS            VARCHAR NOT NULL,      -- COMMITTED or HELD
    REASON            VARCHAR,
    RAW_URI           VARCHAR,
    CODE_VERSION      VARCHAR,
    FLOW_RUN_ID       VARCHAR,
    LINEAGE_RUN_ID    VARCHAR,
    STARTED_AT        TIMESTAMP_NTZ,
    FINISHED_AT       TIMESTAMP_NTZ,
    EXTRACT_SECONDS   FLOAT,
    VALIDATE_SECONDS  FLOAT,
    PUBLISH_SECONDS   FLOAT,
    SAFE_UNTIL        TIMESTAMP_NTZ           -- orders: how far the batch could safely read (no open transaction
                                              -- could still commit a row stamped before it); null: not measured
);
-- Ledgers created before SAFE_UNTIL existed get the column.
ALTER TABLE OPS.LOAD_BATCHES ADD COLUMN IF NOT EXISTS SAFE_UNTIL TIMESTAMP_NTZ;

-- Every check's verdict for every batch: the evidence behind a publish or a hold.
CREATE TABLE IF NOT EXISTS OPS.CHECK_RESULTS (
    BATCH_ID      VARCHAR NOT NULL,
    SOURCE        VARCHAR NOT NULL,
    CHECK_ID      VARCHAR NOT NULL,
    DATASET       VARCHAR NOT NULL,
    SEVERITY      VARCHAR NOT NULL,
    OUTCOME       VARCHAR NOT NULL,
    ROWS_CHECKED  NUMBER(38, 0) NOT NULL,
    ROWS_FAILED   NUMBER(38, 0) NOT NULL,
    EXPECTED      VARCHAR,
    ACTUAL        VARCHAR,
    COLUMN_NAME   VARCHAR,
    CHECKED_AT    TIMESTAMP_NTZ
);

-- Files are staged here under <source>/<batch_id>/ before COPY INTO.
CREATE STAGE IF NOT EXISTS OPS.LOAD_STAGE;
