-- How many rows a run fetched into each slice table (for the benchmark and the logs).
SELECT table_name, estimated_size
FROM duckdb_tables()
WHERE table_name IN (
    'inputs', 'new_orders', 'new_payments', 'new_shipment_lines', 'changed_intents', 'pending', 'orders',
    'payments', 'refunds', 'disputes', 'shipment_lines', 'customer_orders', 'aging_orders', 'day_payments',
    'day_refunds', 'day_orders', 'day_duplicates', 'finance', 'new_links', 'known_links', 'order_lines',
    'aging_short_lines'
)
ORDER BY table_name
