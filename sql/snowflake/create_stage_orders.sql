-- Staging tables for one orders load, replaced before each load (DDL commits implicitly, so it runs
-- before the load's transaction). One orders load runs at a time (the deployment's concurrency limit).
CREATE OR REPLACE TRANSIENT TABLE OPS.STAGE_ORDERS (
    ORDER_ID            NUMBER(38, 0),
    CUSTOMER_ID         NUMBER(38, 0),
    STATUS              VARCHAR,
    CURRENCY            VARCHAR,
    TOTAL_AMOUNT_MINOR  NUMBER(38, 0),
    CREATED_AT          TIMESTAMP_NTZ,
    UPDATED_AT          TIMESTAMP_NTZ
);
CREATE OR REPLACE TRANSIENT TABLE OPS.STAGE_ORDERS_QUARANTINE (
    REASONS      VARCHAR,
    RAW_RECORD   VARCHAR,
    _SOURCE_ROW  NUMBER(38, 0)
);
CREATE OR REPLACE TRANSIENT TABLE OPS.STAGE_ORDER_LINES (
    ORDER_ID          NUMBER(38, 0),
    LINE_NO           NUMBER(38, 0),
    SKU               VARCHAR,
    QUANTITY          NUMBER(38, 0),
    UNIT_PRICE_MINOR  NUMBER(38, 0),
    UPDATED_AT        TIMESTAMP_NTZ
);
CREATE OR REPLACE TRANSIENT TABLE OPS.STAGE_ORDER_LINES_QUARANTINE (
    REASONS      VARCHAR,
    RAW_RECORD   VARCHAR,
    _SOURCE_ROW  NUMBER(38, 0)
);
