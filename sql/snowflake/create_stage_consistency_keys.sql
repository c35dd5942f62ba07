-- The keys one consistency run references, to fetch only their rows by a join (replaced per run, before any
-- transaction; one consistency run at a time). A row carries one key: an order, an intent, or a customer with
-- the creation time of one of its new orders.
CREATE OR REPLACE TRANSIENT TABLE OPS.STAGE_CONSISTENCY_KEYS (
    ORDER_ID           NUMBER(38, 0),
    PAYMENT_INTENT_ID  VARCHAR,
    CUSTOMER_ID        NUMBER(38, 0),
    CREATED_AT         TIMESTAMP_NTZ
);
