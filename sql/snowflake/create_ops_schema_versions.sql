-- The DDL digests applied to this database: a connection whose DDL files digest to a recorded value skips
-- re-running them (every statement is idempotent; skipping saves ~3 s per command locally).
CREATE TABLE IF NOT EXISTS OPS.SCHEMA_VERSIONS (
    DIGEST      VARCHAR NOT NULL,   -- sha256 of the DDL files' text, in order (northstar/warehouse.py DDL_FILES)
    APPLIED_AT  TIMESTAMP_NTZ NOT NULL
);
