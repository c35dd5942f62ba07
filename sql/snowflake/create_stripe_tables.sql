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
    AMOUNT_CAPTURED        NUMBER(38, 0),
    AMOUNT_REFUNDED        NUMBER(38, 0),
    CURRENCY               VARCHAR,
    AMOUNT_DECIMALS        NUMBER(38, 0),
    ORDER_ID               NUMBER(38, 0),
    ORDER_LINK_SOURCE      VARCHAR,          -- metadata or checkout_session
    CUSTOMER_ID            VARCHAR,
    LATEST_CHARGE_ID       VARCHAR,          -- the intent's latest charge, as its own events name it
    CHARGE_ID              VARCHAR,          -- the charge the newest charge state is about
    CHARGE_STATUS          VARCHAR,
    CANCELLATION_REASON    VARCHAR,
    CREATED_AT             TIMESTAMP_NTZ,
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
