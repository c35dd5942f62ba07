-- The marts' publications (northstar/marts/publication.py): one row per publication, its status kept current.
CREATE TABLE IF NOT EXISTS OPS.MART_PUBLICATIONS (
    PUBLICATION_ID     VARCHAR NOT NULL,
    GATE_BATCH_ID      VARCHAR NOT NULL,      -- the consistency batch whose passed gate it was built after
    SCHEMA_NAME        VARCHAR NOT NULL,      -- MARTS_PUB_<id>: where its tables live
    DBT_INVOCATION_ID  VARCHAR,
    MODEL_VERSIONS     VARIANT,               -- {model: {versions: [..], latest: n}}
    SQL_HASH           VARCHAR,               -- sha256 over the models' compiled SQL
    ROW_COUNTS         VARIANT,               -- {relation: rows}
    CORE_BATCHES       VARIANT,               -- {source: newest committed batch id} it was built from
    MANIFEST_KEY       VARCHAR,               -- dbt's manifest.json in the landing store
    STATUS             VARCHAR NOT NULL,      -- building, live, superseded, rolled_back, failed
    REASON             VARCHAR,               -- why it failed, or the last rollback's reason
    CREATED_AT         TIMESTAMP_NTZ NOT NULL,
    LIVE_AT            TIMESTAMP_NTZ,         -- the last time it was made live
    DROPPED_AT         TIMESTAMP_NTZ,         -- its schema dropped (beyond the last K publications)
    DBT_SECONDS        FLOAT
);

-- Every change of what is live: published, rolled back (with who and why), rolled forward.
CREATE TABLE IF NOT EXISTS OPS.MART_PUBLICATION_EVENTS (
    PUBLICATION_ID  VARCHAR NOT NULL,         -- the publication made live
    PREVIOUS_ID     VARCHAR,                  -- the one live before
    EVENT           VARCHAR NOT NULL,         -- published, rolled_back
    ACTOR           VARCHAR NOT NULL,         -- NORTHSTAR_USER or the OS user
    REASON          VARCHAR,
    EVENT_AT        TIMESTAMP_NTZ NOT NULL
);

-- Revenue corrections per business day and currency, written by the corrections feature (branch h13), read by
-- fct_daily_revenue (adjustments_minor) and by the consistency gate's reconciliation.daily_revenue: both add
-- AMOUNT_MINOR (signed, minor units) to the net revenue of BUSINESS_DAY (a business day in NORTHSTAR_BUSINESS_TZ)
-- and CURRENCY. The shape agreed between both features; created on every warehouse open (northstar/warehouse.py).
CREATE TABLE IF NOT EXISTS MARTS.REVENUE_ADJUSTMENTS (
    BUSINESS_DAY   DATE NOT NULL,
    CURRENCY       VARCHAR NOT NULL,
    AMOUNT_MINOR   NUMBER(38, 0) NOT NULL,
    REASON         VARCHAR NOT NULL,
    CORRECTION_ID  VARCHAR NOT NULL,
    CREATED_AT     TIMESTAMP_TZ NOT NULL
);
-- A warehouse made before the agreed shape had DAY and no CREATED_AT; the table held nothing then (no writer).
ALTER TABLE MARTS.REVENUE_ADJUSTMENTS ADD COLUMN IF NOT EXISTS BUSINESS_DAY DATE;
ALTER TABLE MARTS.REVENUE_ADJUSTMENTS ADD COLUMN IF NOT EXISTS CREATED_AT TIMESTAMP_TZ;
ALTER TABLE MARTS.REVENUE_ADJUSTMENTS DROP COLUMN IF EXISTS DAY;
