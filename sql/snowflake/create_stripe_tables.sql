-- Stripe events as landed: one row per event id (a redelivered event is not inserted again).
CREATE TABLE IF NOT EXISTS RAW.STRIPE_EVENTS (
    EVENT_ID       VARCHAR NOT NULL,
    EVENT_TYPE     VARCHAR,
    EVENT_CREATED  TIMESTAMP_NTZ,
    API_VERSION    VARCHAR,
    OBJECT_TYPE    VARCHAR,
    OBJECT_ID      VARCHAR,
    HANDLED        BOOLEAN NOT NULL,    -- false: a type the pipeline keeps raw only
    PAYLOAD        VARIANT NOT NULL,    -- the event exactly as Stripe sent it
    LANDING_KEY    VARCHAR NOT NULL,
    WRITTEN_AT     TIMESTAMP_NTZ NOT NULL,
    RECEIVED_AT    TIMESTAMP_NTZ,
    DELIVERY       VARCHAR,             -- webhook or recovery
    SIGNATURE_AT   TIMESTAMP_NTZ,
    _BATCH_ID      VARCHAR NOT NULL,
    _LOADED_AT     TIMESTAMP_NTZ NOT NULL
);

-- One row per payment intent, assembled from three facets, each holding the (event created, precedence,
-- event id) of the state it shows; a facet is replaced only by a strictly newer state (see
-- sql/stripe/create_event_types.sql). Amounts are integers in the currency's minor unit, as Stripe sends
-- them; AMOUNT_DECIMALS is that unit's number of decimals (0 for zero-decimal currencies such as JPY).
CREATE TABLE IF NOT EXISTS CORE.PAYMENTS (
    PAYMENT_INTENT_ID      VARCHAR NOT NULL,
    STATUS                 VARCHAR,
    AMOUNT                 NUMBER(38, 0),
    AMOUNT_CAPTURABLE      NUMBER(38, 0),
    AMOUNT_RECEIVED        NUMBER(38, 0),
    AMOUNT_CAPTURED        NUMBER(38, 0),    -- the larger of the charge's amount_captured and the intent's amount_received
    AMOUNT_REFUNDED        NUMBER(38, 0),
    CURRENCY               VARCHAR,
    AMOUNT_DECIMALS        NUMBER(38, 0),
    ORDER_ID               NUMBER(38, 0),
    ORDER_LINK_SOURCE      VARCHAR,          -- metadata (the intent's), checkout_session or charge_metadata
    CUSTOMER_ID            VARCHAR,
    LATEST_CHARGE_ID       VARCHAR,          -- the intent's latest charge, as its own events name it
    CHARGE_ID              VARCHAR,          -- the charge the newest charge state is about
    CHARGE_STATUS          VARCHAR,
    CANCELLATION_REASON    VARCHAR,
    CREATED_AT             TIMESTAMP_NTZ,    -- the intent's created, else its charge's
    CANCELED_AT            TIMESTAMP_NTZ,
    UPDATED_AT             TIMESTAMP_NTZ NOT NULL,   -- the newest state's event time over the three facets
    _STATE_EVENT_ID        VARCHAR,          -- facet payment_intent
    _STATE_EVENT_CREATED   TIMESTAMP_NTZ,
    _STATE_PRECEDENCE      NUMBER(38, 0),
    _CHARGE_EVENT_ID       VARCHAR,          -- facet charge
    _CHARGE_EVENT_CREATED  TIMESTAMP_NTZ,
    _CHARGE_PRECEDENCE     NUMBER(38, 0),
    _LINK_EVENT_ID         VARCHAR,          -- facet order_link
    _LINK_EVENT_CREATED    TIMESTAMP_NTZ,
    _LINK_PRECEDENCE       NUMBER(38, 0),
    _BATCH_ID              VARCHAR NOT NULL,
    _LOADED_AT             TIMESTAMP_NTZ NOT NULL
);

-- Which object the captured amount came from: charge (its amount_captured) or payment_intent (its amount_received,
-- when no charge state was seen or the charge's is smaller). Added after the table's first release.
ALTER TABLE CORE.PAYMENTS ADD COLUMN IF NOT EXISTS CAPTURED_FROM VARCHAR;
-- The charge's own amount_captured (AMOUNT_CAPTURED is the decided amount).
ALTER TABLE CORE.PAYMENTS ADD COLUMN IF NOT EXISTS CHARGE_AMOUNT_CAPTURED NUMBER(38, 0);

CREATE TABLE IF NOT EXISTS CORE.REFUNDS (
    REFUND_ID             VARCHAR NOT NULL,
    CHARGE_ID             VARCHAR,
    PAYMENT_INTENT_ID     VARCHAR,
    AMOUNT                NUMBER(38, 0),
    CURRENCY              VARCHAR,
    AMOUNT_DECIMALS       NUMBER(38, 0),
    STATUS                VARCHAR,
    REASON                VARCHAR,
    FAILURE_REASON        VARCHAR,
    CREATED_AT            TIMESTAMP_NTZ,
    UPDATED_AT            TIMESTAMP_NTZ NOT NULL,
    _STATE_EVENT_ID       VARCHAR NOT NULL,
    _STATE_EVENT_CREATED  TIMESTAMP_NTZ NOT NULL,
    _STATE_PRECEDENCE     NUMBER(38, 0) NOT NULL,
    _BATCH_ID             VARCHAR NOT NULL,
    _LOADED_AT            TIMESTAMP_NTZ NOT NULL
);

-- Every cumulative refunded amount (AMOUNT_REFUNDED > 0) a charge was seen with, and the first and last event
-- that showed it (sql/stripe/create_charge_refunded.sql). What a charge.refunded event says when it lists no refunds.
CREATE TABLE IF NOT EXISTS CORE.CHARGE_REFUNDED_AMOUNTS (
    CHARGE_ID             VARCHAR NOT NULL,
    AMOUNT_REFUNDED       NUMBER(38, 0) NOT NULL,
    PAYMENT_INTENT_ID     VARCHAR,
    CURRENCY              VARCHAR,
    AMOUNT_DECIMALS       NUMBER(38, 0),
    FIRST_EVENT_ID        VARCHAR NOT NULL,
    FIRST_EVENT_CREATED   TIMESTAMP_NTZ NOT NULL,
    LAST_EVENT_ID         VARCHAR NOT NULL,
    LAST_EVENT_CREATED    TIMESTAMP_NTZ NOT NULL,
    _BATCH_ID             VARCHAR NOT NULL,
    _LOADED_AT            TIMESTAMP_NTZ NOT NULL
);

-- The refunds revenue counts, defined once (README "Payments (Stripe)", refunded):
--   1. every refund object (CORE.REFUNDS: refund.*, charge.refund.updated, a 2019 charge's refunds list), by its
--      own created time, COUNTED_FROM 'refund';
--   2. the part of a charge's refunded amount that no succeeded refund object of that charge covers
--      (COUNTED_FROM 'charge'): the charge's refunded amount only grows, one step per refund, so each step above
--      max(the previous step, what refund objects cover) counts, dated by the first event that showed it. Only
--      steps up to the charge's current amount (its newest event's) count: a refund that failed and was given
--      back leaves its step out. When the refund object arrives later, it covers the step: counted once.
CREATE OR REPLACE VIEW CORE.REFUNDS_COUNTED AS
WITH steps AS (
    SELECT CHARGE_ID, AMOUNT_REFUNDED, PAYMENT_INTENT_ID, CURRENCY, FIRST_EVENT_ID, FIRST_EVENT_CREATED,
           COALESCE(LAG(AMOUNT_REFUNDED) OVER (PARTITION BY CHARGE_ID ORDER BY AMOUNT_REFUNDED), 0) AS PREVIOUS_AMOUNT,
           FIRST_VALUE(AMOUNT_REFUNDED) OVER (
               PARTITION BY CHARGE_ID ORDER BY LAST_EVENT_CREATED DESC, LAST_EVENT_ID DESC
           ) AS CURRENT_AMOUNT
    FROM CORE.CHARGE_REFUNDED_AMOUNTS
),
covered AS (
    SELECT c.CHARGE_ID, SUM(r.AMOUNT) AS COVERED
    FROM (SELECT DISTINCT CHARGE_ID, PAYMENT_INTENT_ID FROM CORE.CHARGE_REFUNDED_AMOUNTS) AS c
    JOIN CORE.REFUNDS AS r
      ON r.CHARGE_ID = c.CHARGE_ID OR (r.CHARGE_ID IS NULL AND r.PAYMENT_INTENT_ID = c.PAYMENT_INTENT_ID)
    WHERE r.STATUS = 'succeeded'
    GROUP BY c.CHARGE_ID
)
SELECT REFUND_ID, CHARGE_ID, PAYMENT_INTENT_ID, AMOUNT, CURRENCY, STATUS, CREATED_AT, 'refund' AS COUNTED_FROM,
       _STATE_EVENT_ID AS EVENT_ID
FROM CORE.REFUNDS
UNION ALL
SELECT s.CHARGE_ID || ':refunded:' || s.AMOUNT_REFUNDED AS REFUND_ID, s.CHARGE_ID, s.PAYMENT_INTENT_ID,
       s.AMOUNT_REFUNDED - GREATEST(s.PREVIOUS_AMOUNT, COALESCE(v.COVERED, 0)) AS AMOUNT, s.CURRENCY,
       'succeeded' AS STATUS, s.FIRST_EVENT_CREATED AS CREATED_AT, 'charge' AS COUNTED_FROM, s.FIRST_EVENT_ID AS EVENT_ID
FROM steps AS s
LEFT JOIN covered AS v ON v.CHARGE_ID = s.CHARGE_ID
WHERE s.AMOUNT_REFUNDED <= s.CURRENT_AMOUNT
  AND s.AMOUNT_REFUNDED > GREATEST(s.PREVIOUS_AMOUNT, COALESCE(v.COVERED, 0));

CREATE TABLE IF NOT EXISTS CORE.DISPUTES (
    DISPUTE_ID            VARCHAR NOT NULL,
    CHARGE_ID             VARCHAR,
    PAYMENT_INTENT_ID     VARCHAR,
    AMOUNT                NUMBER(38, 0),
    CURRENCY              VARCHAR,
    AMOUNT_DECIMALS       NUMBER(38, 0),
    STATUS                VARCHAR,
    REASON                VARCHAR,
    EVIDENCE_DUE_BY       TIMESTAMP_NTZ,
    CREATED_AT            TIMESTAMP_NTZ,
    UPDATED_AT            TIMESTAMP_NTZ NOT NULL,
    _STATE_EVENT_ID       VARCHAR NOT NULL,
    _STATE_EVENT_CREATED  TIMESTAMP_NTZ NOT NULL,
    _STATE_PRECEDENCE     NUMBER(38, 0) NOT NULL,
    _BATCH_ID             VARCHAR NOT NULL,
    _LOADED_AT            TIMESTAMP_NTZ NOT NULL
);

-- Every dispute event: one row per event id.
CREATE TABLE IF NOT EXISTS CORE.DISPUTE_STATUS_HISTORY (
    DISPUTE_ID     VARCHAR NOT NULL,
    STATUS         VARCHAR,
    EVENT_ID       VARCHAR NOT NULL,
    EVENT_TYPE     VARCHAR NOT NULL,
    EVENT_CREATED  TIMESTAMP_NTZ NOT NULL,
    _BATCH_ID      VARCHAR NOT NULL,
    _LOADED_AT     TIMESTAMP_NTZ NOT NULL
);

-- Rejected events with every reason: the envelope exactly as landed, and the payload when it parsed. One row
-- per landed event, however many batches read it (a recovery batch re-reads what the regular ones did):
-- _ROW_KEY is its LANDING_KEY, the write-once object it was read from (an event without a usable id still
-- has one). _SEEN_BATCHES, _BATCH_ID, REASONS and _QUARANTINED_AT as in QUARANTINE.ORDERS.
CREATE TABLE IF NOT EXISTS QUARANTINE.STRIPE_EVENTS (
    EVENT_ID         VARCHAR,
    EVENT_TYPE       VARCHAR,
    OBJECT_ID        VARCHAR,
    REASONS          ARRAY NOT NULL,
    RAW_ENVELOPE     VARCHAR NOT NULL,
    PAYLOAD          VARIANT,
    LANDING_KEY      VARCHAR NOT NULL,
    WRITTEN_AT       TIMESTAMP_NTZ NOT NULL,
    _SOURCE_ROW      NUMBER(38, 0) NOT NULL,
    _BATCH_ID        VARCHAR NOT NULL,
    _QUARANTINED_AT  TIMESTAMP_NTZ NOT NULL,
    _ROW_KEY         VARCHAR NOT NULL,
    _SEEN_BATCHES    ARRAY NOT NULL
);
ALTER TABLE QUARANTINE.STRIPE_EVENTS ADD COLUMN IF NOT EXISTS _ROW_KEY VARCHAR;
ALTER TABLE QUARANTINE.STRIPE_EVENTS ADD COLUMN IF NOT EXISTS _SEEN_BATCHES ARRAY;
