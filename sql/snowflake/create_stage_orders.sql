-- Staging tables for orders loads, created once (DDL commits implicitly, so it runs before the load's
-- transaction). Each load empties them, copies its files in and empties them again inside its own
-- transaction, so a load only ever sees its own staged rows. A release that changes one drops it first.
CREATE TRANSIENT TABLE IF NOT EXISTS OPS.STAGE_ORDERS (
    ORDER_ID            NUMBER(38, 0),
    CUSTOMER_ID         NUMBER(38, 0),
    STATUS              VARCHAR,
    CURRENCY            VARCHAR,
    TOTAL_AMOUNT_MINOR  NUMBER(38, 0),
    CREATED_AT          TIMESTAMP_NTZ,
    UPDATED_AT          TIMESTAMP_NTZ
);
CREATE TRANSIENT TABLE IF NOT EXISTS OPS.STAGE_ORDERS_QUARANTINE (
    REASONS      VARCHAR,
    RAW_RECORD   VARCHAR,
    _SOURCE_ROW  NUMBER(38, 0)
);
CREATE TRANSIENT TABLE IF NOT EXISTS OPS.STAGE_ORDER_LINES (
    ORDER_ID          NUMBER(38, 0),
    LINE_NO           NUMBER(38, 0),
    SKU               VARCHAR,
    QUANTITY          NUMBER(38, 0),
    UNIT_PRICE_MINOR  NUMBER(38, 0),
    UPDATED_AT        TIMESTAMP_NTZ
);
CREATE TRANSIENT TABLE IF NOT EXISTS OPS.STAGE_ORDER_LINES_QUARANTINE (
    REASONS      VARCHAR,
    RAW_RECORD   VARCHAR,
    _SOURCE_ROW  NUMBER(38, 0)
);
