-- Paid but not shipped after N days: touched orders, and the paid orders that turned N days old in the window.
SELECT order_id, to_json({status: status, created_at: created_at, shipment_lines: shipment_lines})::VARCHAR AS evidence
FROM (
    SELECT order_id, status, created_at, shipment_lines FROM order_amounts
    UNION
    SELECT order_id, status, created_at, shipment_lines FROM aging_orders
)
WHERE status = 'paid' AND shipment_lines = 0 AND epoch($as_of::TIMESTAMP) - epoch(created_at) >= $unshipped_seconds
