-- How a held batch was resolved, by whom and why (`northstar held reextract|accept`): one row per action, written
-- before the window runs again; the rerun's own ledger row then says what came of it.
CREATE TABLE IF NOT EXISTS OPS.BATCH_RESOLUTIONS (
    BATCH_ID        VARCHAR NOT NULL,
    ACTION          VARCHAR NOT NULL,      -- reextract (the raw set aside, the window landed again) or accept_contract
    RESOLVED_BY     VARCHAR NOT NULL,      -- NORTHSTAR_USER, else the OS user
    REASON          VARCHAR NOT NULL,
    HELD_REASON     VARCHAR,               -- the hold's reason when resolved
    SUPERSEDED_TO   VARCHAR,               -- reextract: where the old raw now is (landing key prefix)
    CODE_VERSION    VARCHAR,
    RESOLVED_AT     TIMESTAMP_NTZ NOT NULL
);
