-- The audit log: one row per auditable event (correction events, reprocesses, rollbacks, gate overrides).
-- Append-only, hash-chained: HASH = sha256 of the canonical JSON of (ENTRY_ID, RECORDED_AT, KIND, ACTOR,
-- SUBJECT, DETAILS, PREV_HASH); PREV_HASH is the previous entry's HASH (SEQ order), 64 zeros for the first.
CREATE TABLE IF NOT EXISTS OPS.AUDIT_LOG (
    SEQ          NUMBER(38, 0) NOT NULL,    -- 1, 2, 3, ... in append order
    ENTRY_ID     VARCHAR NOT NULL,
    RECORDED_AT  VARCHAR NOT NULL,          -- UTC, ISO-8601 text exactly as hashed
    KIND         VARCHAR NOT NULL,          -- correction.requested, reprocess, marts.rollback, ...
    ACTOR        VARCHAR NOT NULL,          -- the acting user (NORTHSTAR_USER, else the OS user)
    SUBJECT      VARCHAR NOT NULL,          -- what the event is about: a correction id, a batch id, ...
    DETAILS      VARCHAR NOT NULL,          -- canonical JSON text exactly as hashed
    PREV_HASH    VARCHAR NOT NULL,
    HASH         VARCHAR NOT NULL
);

-- A correction to published numbers (README, "Corrections and audit"): its request, as asked. Never updated:
-- its state is the latest of its events.
CREATE TABLE IF NOT EXISTS OPS.CORRECTIONS (
    CORRECTION_ID  VARCHAR NOT NULL,
    KIND           VARCHAR NOT NULL,        -- reprocess, source_refresh, quarantine_release, adjustment
    REASON         VARCHAR NOT NULL,
    TICKET         VARCHAR NOT NULL,
    REQUESTED_BY   VARCHAR NOT NULL,
    REQUESTED_AT   TIMESTAMP_NTZ NOT NULL,
    ARGS           VARCHAR NOT NULL         -- the kind's arguments, canonical JSON
);

-- Every step of a correction: REQUESTED, APPROVED, REJECTED, APPLIED, APPLIED_GATE_HELD, APPLY_FAILED, VERIFIED,
-- VERIFY_FAILED. Append-only.
CREATE TABLE IF NOT EXISTS OPS.CORRECTION_EVENTS (
    CORRECTION_ID  VARCHAR NOT NULL,
    EVENT          VARCHAR NOT NULL,
    ACTOR          VARCHAR NOT NULL,
    EVENT_AT       TIMESTAMP_NTZ NOT NULL,
    DETAILS        VARCHAR NOT NULL         -- JSON: a reason, the batch ids, the gate's verdict, ...
);

-- MARTS.REVENUE_ADJUSTMENTS, where an applied adjustment's rows go, is created with the marts' own tables
-- (sql/marts/create_marts_tables.sql, before this file in northstar.warehouse.DDL_FILES).
