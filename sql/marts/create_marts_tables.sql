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

-- Revenue corrections per business day and currency, filled by applied corrections (signed, minor units); the same
-- statement as in sql/snowflake/create_corrections_tables.sql (whichever runs first creates it).
CREATE TABLE IF NOT EXISTS MARTS.REVENUE_ADJUSTMENTS (
    BUSINESS_DAY   DATE NOT NULL,
    CURRENCY       VARCHAR NOT NULL,
    AMOUNT_MINOR   NUMBER(38, 0) NOT NULL,
    REASON         VARCHAR NOT NULL,
    CORRECTION_ID  VARCHAR NOT NULL,
    CREATED_AT     TIMESTAMP_TZ NOT NULL
);
