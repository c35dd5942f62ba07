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
    STATUS            VARCHAR NOT NULL,      -- COMMITTED, HELD or FAILED (northstar.loads.BatchStatus)
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
    ROWS_ALREADY_CURRENT  NUMBER(38, 0),   -- passed rows that changed nothing: another batch had published
                                           -- that version or a newer one (NULL: not counted for the source)
    ROWS_REQUARANTINED    NUMBER(38, 0),   -- of ROWS_QUARANTINED, rows another batch had already quarantined
    SAFE_UNTIL        TIMESTAMP_NTZ           -- orders: how far the batch could safely read (no open transaction
                                              -- could still commit a row stamped before it); null: not measured
);
-- A ledger created before these two counts gains them.
ALTER TABLE OPS.LOAD_BATCHES ADD COLUMN IF NOT EXISTS ROWS_ALREADY_CURRENT NUMBER(38, 0);
ALTER TABLE OPS.LOAD_BATCHES ADD COLUMN IF NOT EXISTS ROWS_REQUARANTINED NUMBER(38, 0);

-- Every batch that quarantined a source row: one row per (quarantine table, row identity, batch), REASONS
-- being what that batch found. The quarantine tables hold each row once, rebuilt from these (_SEEN_BATCHES).
CREATE TABLE IF NOT EXISTS OPS.QUARANTINE_SIGHTINGS (
    QUARANTINE_TABLE  VARCHAR NOT NULL,    -- QUARANTINE.ORDERS, ORDER_LINES, STRIPE_EVENTS, WMS_LINES, WMS_FILES
    _ROW_KEY          VARCHAR NOT NULL,
    BATCH_ID          VARCHAR NOT NULL,
    REASONS           ARRAY NOT NULL,
    _SOURCE_ROW       NUMBER(38, 0),       -- its position in that batch's landed file (NULL for a whole file)
    SEEN_AT           TIMESTAMP_NTZ NOT NULL
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

-- A running batch's lease: a second run of the same batch sees it and stands aside until it expires
-- (a killed run's lease expires after NORTHSTAR_LEASE_SECONDS without renewal).
CREATE TABLE IF NOT EXISTS OPS.BATCH_LEASES (
    BATCH_ID        VARCHAR NOT NULL,
    SOURCE          VARCHAR NOT NULL,
    OWNER           VARCHAR NOT NULL,      -- host:pid:random of the run holding it
    LINEAGE_RUN_ID  VARCHAR,
    ACQUIRED_AT     TIMESTAMP_NTZ NOT NULL,
    HEARTBEAT_AT    TIMESTAMP_NTZ NOT NULL,
    EXPIRES_AT      TIMESTAMP_NTZ NOT NULL
);

-- One row per lock name; the first statement of a transaction that must not run beside another of its kind
-- updates its row (Snowflake makes a second writer wait; the local emulator aborts it, and it retries).
CREATE TABLE IF NOT EXISTS OPS.LOAD_LOCKS (
    NAME     VARCHAR NOT NULL,
    HELD_BY  VARCHAR,
    HELD_AT  TIMESTAMP_NTZ
);

-- Files are staged here under <source>/<batch_id>/ before COPY INTO.
CREATE STAGE IF NOT EXISTS OPS.LOAD_STAGE;
