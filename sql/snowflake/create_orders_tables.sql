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

-- Rejected source rows, exactly as extracted, with every reason they failed.
CREATE TABLE IF NOT EXISTS QUARANTINE.ORDERS (
    ORDER_ID        NUMBER(38, 0),
    REASONS         ARRAY NOT NULL,
    RAW_RECORD      VARIANT NOT NULL,
    _SOURCE_ROW     NUMBER(38, 0) NOT NULL,
    _BATCH_ID       VARCHAR NOT NULL,
    _QUARANTINED_AT TIMESTAMP_NTZ NOT NULL
);
