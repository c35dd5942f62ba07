-- Validated orders: one row per order_id, the latest version by UPDATED_AT. Timestamps are UTC.
CREATE TABLE IF NOT EXISTS CORE.ORDERS (
    ORDER_ID            NUMBER(38, 0) NOT NULL,
    CUSTOMER_ID         NUMBER(38, 0) NOT NULL,
    STATUS              VARCHAR NOT NULL,
    CURRENCY            VARCHAR NOT NULL,
    TOTAL_AMOUNT_MINOR  NUMBER(38, 0) NOT NULL,
    CREATED_AT          TIMESTAMP_NTZ NOT NULL,
    UPDATED_AT          TIMESTAMP_NTZ NOT NULL,
    _BATCH_ID           VARCHAR NOT NULL,
    _LOADED_AT          TIMESTAMP_NTZ NOT NULL
);

-- Rejected source rows, exactly as extracted, with every reason they failed: one row per source row, however
-- many batches read it (the overlap, a window run late or again, a backfill). _ROW_KEY is its identity: the
-- source has no key a bad row can be trusted to carry, so it is the SHA-256 of the raw record and its copy
-- number among identical rows (sql/checks/copy_quarantined.sql). Every batch that quarantined it is in
-- _SEEN_BATCHES (sorted) and OPS.QUARANTINE_SIGHTINGS; _BATCH_ID and _SOURCE_ROW are the first of them's
-- (the least batch id: the earliest window), REASONS every reason any of them found, _QUARANTINED_AT when
-- it was first quarantined.
CREATE TABLE IF NOT EXISTS QUARANTINE.ORDERS (
    ORDER_ID        NUMBER(38, 0),
    REASONS         ARRAY NOT NULL,
    RAW_RECORD      VARIANT NOT NULL,
    _SOURCE_ROW     NUMBER(38, 0) NOT NULL,
    _BATCH_ID       VARCHAR NOT NULL,
    _QUARANTINED_AT TIMESTAMP_NTZ NOT NULL,
    _ROW_KEY        VARCHAR NOT NULL,
    _SEEN_BATCHES   ARRAY NOT NULL
);
-- A warehouse created before the row identity gains the columns (nullable there: its older rows have none).
ALTER TABLE QUARANTINE.ORDERS ADD COLUMN IF NOT EXISTS _ROW_KEY VARCHAR;
ALTER TABLE QUARANTINE.ORDERS ADD COLUMN IF NOT EXISTS _SEEN_BATCHES ARRAY;

-- Validated order lines: the lines of each order in CORE.ORDERS as its published version had them, replaced
-- whenever a batch publishes a newer version of the order.
CREATE TABLE IF NOT EXISTS CORE.ORDER_LINES (
    ORDER_ID          NUMBER(38, 0) NOT NULL,
    LINE_NO           NUMBER(38, 0) NOT NULL,
    SKU               VARCHAR NOT NULL,
    QUANTITY          NUMBER(38, 0) NOT NULL,
    UNIT_PRICE_MINOR  NUMBER(38, 0) NOT NULL,
    UPDATED_AT        TIMESTAMP_NTZ,
    _BATCH_ID         VARCHAR NOT NULL,
    _LOADED_AT        TIMESTAMP_NTZ NOT NULL
);

-- Rejected order lines, exactly as extracted, with every reason they failed: one row per source line, keyed
-- and merged over batches as QUARANTINE.ORDERS is (the lines table has no key either: a content hash).
CREATE TABLE IF NOT EXISTS QUARANTINE.ORDER_LINES (
    ORDER_ID        NUMBER(38, 0),
    REASONS         ARRAY NOT NULL,
    RAW_RECORD      VARIANT NOT NULL,
    _SOURCE_ROW     NUMBER(38, 0) NOT NULL,
    _BATCH_ID       VARCHAR NOT NULL,
    _QUARANTINED_AT TIMESTAMP_NTZ NOT NULL,
    _ROW_KEY        VARCHAR NOT NULL,
    _SEEN_BATCHES   ARRAY NOT NULL
);
ALTER TABLE QUARANTINE.ORDER_LINES ADD COLUMN IF NOT EXISTS _ROW_KEY VARCHAR;
ALTER TABLE QUARANTINE.ORDER_LINES ADD COLUMN IF NOT EXISTS _SEEN_BATCHES ARRAY;

-- Orders deleted at the source are marked, never removed: _DELETED_AT is when the source reconciliation found the
-- delete (northstar/sources/orders/reconcile.py); marts, revenue and the consistency fetches skip marked rows.
ALTER TABLE CORE.ORDERS ADD COLUMN IF NOT EXISTS _DELETED_AT TIMESTAMP_NTZ;
ALTER TABLE CORE.ORDER_LINES ADD COLUMN IF NOT EXISTS _DELETED_AT TIMESTAMP_NTZ;

-- One row per delete detected at a source: which order, when, by which run, and how it was detected.
CREATE TABLE IF NOT EXISTS OPS.SOURCE_DELETES (
    SOURCE       VARCHAR NOT NULL,
    ORDER_ID     NUMBER(38, 0) NOT NULL,
    DETECTED_AT  TIMESTAMP_NTZ NOT NULL,
    BATCH_ID     VARCHAR NOT NULL,
    HOW          VARCHAR NOT NULL       -- source_reconciliation: in CORE, no row left in the source
);
