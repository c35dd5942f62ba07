-- Cross-system consistency (flows/consistency.py). Every finding names the consistency batch that found it.
-- Which source batches each committed consistency batch checked: a source batch is checked until a
-- consistency batch that took it commits (a held one leaves it to the next run).
CREATE TABLE IF NOT EXISTS OPS.CONSISTENCY_INPUTS (
    BATCH_ID         VARCHAR NOT NULL,
    SOURCE_BATCH_ID  VARCHAR NOT NULL,
    SOURCE           VARCHAR NOT NULL
);

-- References (a payment, a shipment line) waiting for their order: only the ones waiting now.
CREATE TABLE IF NOT EXISTS OPS.PENDING_REFERENCES (
    REF_KIND         VARCHAR NOT NULL,       -- payment or shipment_line
    REF_KEY          VARCHAR NOT NULL,       -- payment intent id, or <shipment id>#<line no>
    ORDER_ID         NUMBER(38, 0) NOT NULL,
    SOURCE_BATCH_ID  VARCHAR NOT NULL,       -- the source batch that published the reference
    PENDING_SINCE    TIMESTAMP_NTZ NOT NULL,
    FIRST_BATCH_ID   VARCHAR NOT NULL        -- the consistency batch that first found it waiting
);

-- Every transition of a reference: pending, released (its order arrived) or orphaned (grace expired).
CREATE TABLE IF NOT EXISTS OPS.REFERENCE_TRANSITIONS (
    REF_KIND         VARCHAR NOT NULL,
    REF_KEY          VARCHAR NOT NULL,
    ORDER_ID         NUMBER(38, 0) NOT NULL,
    STATE            VARCHAR NOT NULL,
    PENDING_SINCE    TIMESTAMP_NTZ NOT NULL,
    TRANSITION_AT    TIMESTAMP_NTZ NOT NULL,
    SOURCE_BATCH_ID  VARCHAR NOT NULL,
    _BATCH_ID        VARCHAR NOT NULL
);

-- References whose order never arrived within the grace period.
CREATE TABLE IF NOT EXISTS QUARANTINE.ORPHAN_REFERENCES (
    REF_KIND         VARCHAR NOT NULL,
    REF_KEY          VARCHAR NOT NULL,
    ORDER_ID         NUMBER(38, 0) NOT NULL,
    REASONS          ARRAY NOT NULL,
    PENDING_SINCE    TIMESTAMP_NTZ NOT NULL,
    SOURCE_BATCH_ID  VARCHAR NOT NULL,
    _BATCH_ID        VARCHAR NOT NULL,
    _QUARANTINED_AT  TIMESTAMP_NTZ NOT NULL
);

-- Two order ids that look like one purchase: ORDER_ID is the later one, DUPLICATE_OF the earlier.
CREATE TABLE IF NOT EXISTS OPS.DUPLICATE_CANDIDATES (
    RULE_ID        VARCHAR NOT NULL,
    ORDER_ID       NUMBER(38, 0) NOT NULL,
    DUPLICATE_OF   NUMBER(38, 0) NOT NULL,
    BUSINESS_DATE  DATE NOT NULL,            -- the later order's business day
    EVIDENCE       VARIANT NOT NULL,
    _BATCH_ID      VARCHAR NOT NULL,
    _FOUND_AT      TIMESTAMP_NTZ NOT NULL
);

-- Orders whose total does not match captured minus refunded, with the reason code.
CREATE TABLE IF NOT EXISTS OPS.ORDER_RECONCILIATION (
    ORDER_ID            NUMBER(38, 0),       -- null for a payment without any order
    PAYMENT_INTENT_ID   VARCHAR,             -- set for payment_without_order
    REASON              VARCHAR NOT NULL,
    ORDER_STATUS        VARCHAR,
    CURRENCY            VARCHAR,
    EXPECTED_MINOR      NUMBER(38, 0),
    CAPTURED_MINOR      NUMBER(38, 0),
    REFUNDED_MINOR      NUMBER(38, 0),
    EVIDENCE            VARIANT NOT NULL,
    _BATCH_ID           VARCHAR NOT NULL,
    _FOUND_AT           TIMESTAMP_NTZ NOT NULL
);

-- Our revenue per business day and currency against finance's daily report.
CREATE TABLE IF NOT EXISTS OPS.DAILY_RECONCILIATION (
    BUSINESS_DATE        DATE NOT NULL,
    CURRENCY             VARCHAR NOT NULL,
    NET_MINOR            NUMBER(38, 0) NOT NULL,
    FINANCE_NET_MINOR    NUMBER(38, 0),       -- null: finance reported nothing for the currency
    VARIANCE             FLOAT NOT NULL,      -- |ours - finance| / |finance|
    WITHIN_SLA           BOOLEAN NOT NULL,
    EXPLANATION          VARIANT,             -- the orders and payments behind a failing day
    FINANCE_FILE         VARCHAR,
    _BATCH_ID            VARCHAR NOT NULL,
    _CHECKED_AT          TIMESTAMP_NTZ NOT NULL
);

-- Status-agreement rule violations, with the rows that show them.
CREATE TABLE IF NOT EXISTS OPS.STATUS_VIOLATIONS (
    RULE_ID     VARCHAR NOT NULL,
    SEVERITY    VARCHAR NOT NULL,
    ORDER_ID    NUMBER(38, 0) NOT NULL,
    EVIDENCE    VARIANT NOT NULL,
    _BATCH_ID   VARCHAR NOT NULL,
    _FOUND_AT   TIMESTAMP_NTZ NOT NULL
);

-- SLA metrics per consistency batch (BUSINESS_DATE null) and per business day.
CREATE TABLE IF NOT EXISTS OPS.SLA_METRICS (
    BATCH_ID       VARCHAR NOT NULL,
    BUSINESS_DATE  DATE,
    METRIC         VARCHAR NOT NULL,
    VALUE          FLOAT,
    THRESHOLD      FLOAT,
    WITHIN_SLA     BOOLEAN,
    MEASURED_AT    TIMESTAMP_NTZ NOT NULL
);

-- Curated outputs: refreshed only by a consistency batch whose gate passed.
CREATE TABLE IF NOT EXISTS MARTS.DAILY_REVENUE (
    BUSINESS_DATE   DATE NOT NULL,
    CURRENCY        VARCHAR NOT NULL,
    CAPTURED_MINOR  NUMBER(38, 0) NOT NULL,
    REFUNDED_MINOR  NUMBER(38, 0) NOT NULL,
    NET_MINOR       NUMBER(38, 0) NOT NULL,
    PAYMENTS        NUMBER(38, 0) NOT NULL,
    REFUNDS         NUMBER(38, 0) NOT NULL,
    _BATCH_ID       VARCHAR NOT NULL,
    _PUBLISHED_AT   TIMESTAMP_NTZ NOT NULL
);

-- One row per order with its payments and shipments; a payment or line appears once its order is known.
CREATE TABLE IF NOT EXISTS MARTS.ORDER_PAYMENTS (
    ORDER_ID            NUMBER(38, 0) NOT NULL,
    CUSTOMER_ID         NUMBER(38, 0) NOT NULL,
    STATUS              VARCHAR NOT NULL,
    CURRENCY            VARCHAR NOT NULL,
    TOTAL_AMOUNT_MINOR  NUMBER(38, 0) NOT NULL,
    CAPTURED_MINOR      NUMBER(38, 0) NOT NULL,
    REFUNDED_MINOR      NUMBER(38, 0) NOT NULL,
    PAYMENTS            NUMBER(38, 0) NOT NULL,
    SHIPPED_QUANTITY    NUMBER(38, 0) NOT NULL,
    RECONCILIATION      VARCHAR NOT NULL,      -- matched, not_compared, or a reason code
    CREATED_AT          TIMESTAMP_NTZ NOT NULL,
    BUSINESS_DATE       DATE NOT NULL,
    _BATCH_ID           VARCHAR NOT NULL,
    _PUBLISHED_AT       TIMESTAMP_NTZ NOT NULL
);

-- Every order a payment intent was ever linked to (metadata.order_id, or a checkout session's reference), from
-- the raw events of the checked payments batches: CORE.PAYMENTS keeps only the newest link.
CREATE TABLE IF NOT EXISTS OPS.PAYMENT_ORDER_LINKS (
    PAYMENT_INTENT_ID  VARCHAR NOT NULL,
    ORDER_ID           NUMBER(38, 0) NOT NULL,
    EVENT_ID           VARCHAR NOT NULL,        -- the first event seen with this link
    LINKED_AT          TIMESTAMP_NTZ NOT NULL,  -- that event's created
    SOURCE_BATCH_ID    VARCHAR NOT NULL,
    _BATCH_ID          VARCHAR NOT NULL
);
