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

-- Finance-approved adjustments no source will ever carry (a write-off, a currency correction); the certified
-- revenue adds them by business day and currency. Rows are only ever inserted, by an applied correction.
CREATE TABLE IF NOT EXISTS MARTS.REVENUE_ADJUSTMENTS (
    BUSINESS_DAY   DATE NOT NULL,
    CURRENCY       VARCHAR NOT NULL,
    AMOUNT_MINOR   NUMBER(38, 0) NOT NULL,
    REASON         VARCHAR NOT NULL,
    CORRECTION_ID  VARCHAR NOT NULL,
    CREATED_AT     TIMESTAMP_TZ NOT NULL
);
