-- The orders table as the legacy OLTP has it: deliberately permissive, so faults can exist.
-- No primary key: the legacy table can hold repeated rows, one of the faults the pipeline must catch.
CREATE TABLE IF NOT EXISTS orders (
    order_id            bigint,
    customer_id         bigint,
    status              text,
    currency            text,
    total_amount_minor  bigint,       -- integer minor units (cents; yen for JPY)
    created_at          timestamptz,
    updated_at          timestamptz
);
CREATE INDEX IF NOT EXISTS orders_updated_at_idx ON orders (updated_at);
