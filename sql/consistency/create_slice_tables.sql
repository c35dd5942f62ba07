-- The slice of the warehouse one consistency run reads, in DuckDB on the worker. Columns are named as the
-- select_consistency_*.sql queries return them; every timestamp is UTC.
-- Source batches this run checks (committed, not yet taken by a committed consistency batch).
CREATE OR REPLACE TABLE inputs (
    batch_id VARCHAR, source VARCHAR, rows_extracted BIGINT, rows_quarantined BIGINT, window_end TIMESTAMP,
    started_at TIMESTAMP, watermark_low TIMESTAMP  -- orders: the batch read source rows updated from here
);
-- Each source's newest committed window end.
CREATE OR REPLACE TABLE latest_batches (source VARCHAR, window_end TIMESTAMP);
-- What those batches published.
CREATE OR REPLACE TABLE new_orders (
    order_id BIGINT, customer_id BIGINT, status VARCHAR, currency VARCHAR, total_amount_minor BIGINT,
    created_at TIMESTAMP, updated_at TIMESTAMP, _batch_id VARCHAR
);
CREATE OR REPLACE TABLE new_payments (
    payment_intent_id VARCHAR, order_id BIGINT, currency VARCHAR, amount_captured BIGINT,
    created_at TIMESTAMP, _batch_id VARCHAR
);
CREATE OR REPLACE TABLE new_shipment_lines (
    shipment_id VARCHAR, line_no BIGINT, order_id BIGINT, quantity BIGINT, shipped_at TIMESTAMP,
    _batch_id VARCHAR
);
CREATE OR REPLACE TABLE changed_intents (payment_intent_id VARCHAR);  -- their refunds or disputes changed
-- Order links in the checked payments batches' raw events, and those already recorded for their intents.
CREATE OR REPLACE TABLE new_links (
    payment_intent_id VARCHAR, order_id BIGINT, event_id VARCHAR, linked_at TIMESTAMP, _batch_id VARCHAR
);
CREATE OR REPLACE TABLE known_links (payment_intent_id VARCHAR, order_id BIGINT, event_id VARCHAR, linked_at TIMESTAMP);
-- References still waiting for their order.
CREATE OR REPLACE TABLE pending (
    ref_kind VARCHAR, ref_key VARCHAR, order_id BIGINT, source_batch_id VARCHAR, pending_since TIMESTAMP,
    first_batch_id VARCHAR
);
-- The current state of every order this run touches, with its payments, refunds, disputes and lines.
CREATE OR REPLACE TABLE orders (
    order_id BIGINT, customer_id BIGINT, status VARCHAR, currency VARCHAR, total_amount_minor BIGINT,
    created_at TIMESTAMP, updated_at TIMESTAMP
);
CREATE OR REPLACE TABLE payments (
    payment_intent_id VARCHAR, order_id BIGINT, status VARCHAR, currency VARCHAR, amount_captured BIGINT,
    created_at TIMESTAMP
);
CREATE OR REPLACE TABLE refunds (
    refund_id VARCHAR, payment_intent_id VARCHAR, amount BIGINT, currency VARCHAR, status VARCHAR,
    created_at TIMESTAMP
);
CREATE OR REPLACE TABLE disputes (
    dispute_id VARCHAR, payment_intent_id VARCHAR, amount BIGINT, currency VARCHAR, status VARCHAR,
    updated_at TIMESTAMP
);
CREATE OR REPLACE TABLE shipment_lines (
    shipment_id VARCHAR, line_no BIGINT, order_id BIGINT, sku VARCHAR, quantity BIGINT, status VARCHAR,
    shipped_at TIMESTAMP
);
-- The ordered lines of the touched orders and of the customer orders below (an order may come twice: read
-- DISTINCT). Orders published before lines were extracted have none.
CREATE OR REPLACE TABLE order_lines (order_id BIGINT, line_no BIGINT, sku VARCHAR, quantity BIGINT);
-- Orders of the new orders' customers created near them (the duplicate window).
CREATE OR REPLACE TABLE customer_orders (
    order_id BIGINT, customer_id BIGINT, status VARCHAR, currency VARCHAR, total_amount_minor BIGINT,
    created_at TIMESTAMP
);
-- Orders expected to ship (paid, shipped, delivered) that turned N days old in this run's window: each SKU
-- shipped short of its ordered quantity, and the order's whole shipped quantity.
CREATE OR REPLACE TABLE aging_short_lines (
    order_id BIGINT, status VARCHAR, created_at TIMESTAMP, sku VARCHAR, ordered BIGINT, shipped BIGINT,
    order_shipped BIGINT
);
-- Paid orders that turned N days old in this run's window, with their shipped line count.
CREATE OR REPLACE TABLE aging_orders (
    order_id BIGINT, status VARCHAR, created_at TIMESTAMP, shipment_lines BIGINT
);
-- The reconciled business days: their payments (with their order), refunds, orders and known duplicates.
CREATE OR REPLACE TABLE day_payments (
    payment_intent_id VARCHAR, order_id BIGINT, currency VARCHAR, amount_captured BIGINT, created_at TIMESTAMP,
    order_known BOOLEAN, order_status VARCHAR, order_currency VARCHAR, order_total_minor BIGINT,
    captured_from VARCHAR  -- charge or payment_intent: the object the captured amount came from
);
CREATE OR REPLACE TABLE day_refunds (
    refund_id VARCHAR, payment_intent_id VARCHAR, order_id BIGINT, amount BIGINT, currency VARCHAR,
    created_at TIMESTAMP,
    counted_from VARCHAR  -- refund (a refund object) or charge (its refunded amount no refund object covers)
);
CREATE OR REPLACE TABLE day_orders (order_id BIGINT, created_at TIMESTAMP);
-- The reconciled days' approved revenue adjustments (MARTS.REVENUE_ADJUSTMENTS, written by corrections), summed.
CREATE OR REPLACE TABLE day_adjustments (business_day DATE, currency VARCHAR, amount_minor BIGINT);
CREATE OR REPLACE TABLE day_duplicates (order_id BIGINT, business_date DATE);
-- Finance's daily report for the reconciled days (northstar/sources/finance.py).
CREATE OR REPLACE TABLE finance (
    business_date DATE, currency VARCHAR, captured_minor BIGINT, refunded_minor BIGINT, net_revenue_minor BIGINT,
    source_file VARCHAR
);
-- Finance's reports that could not be read as the layout says (the file's key and the reader's error).
CREATE OR REPLACE TABLE finance_unreadable (source_file VARCHAR, error VARCHAR);
