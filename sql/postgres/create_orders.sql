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
-- The source reconciliation reads by created day and by order_id range (sql/postgres/reconcile_orders_*.sql).
CREATE INDEX IF NOT EXISTS orders_created_at_idx ON orders (created_at);
CREATE INDEX IF NOT EXISTS orders_order_id_idx ON orders (order_id);

-- The order's line items, as permissive as `orders` (no keys, nullable): the application rewrites an order's
-- lines and touches its orders.updated_at in the same transaction, so a batch reads an order's lines
-- together with the order (northstar/sources/postgres.py).
CREATE TABLE IF NOT EXISTS order_lines (
    order_id          bigint,
    line_no           integer,
    sku               text,
    quantity          integer,
    unit_price_minor  bigint,       -- integer minor units, in the order's currency
    updated_at        timestamptz
);
CREATE INDEX IF NOT EXISTS order_lines_order_id_idx ON order_lines (order_id);
