-- Under-shipped: an order expected to ship is NORTHSTAR_UNSHIPPED_DAYS old and a SKU shipped short of its ordered
-- quantity: a shipped or delivered order, or a paid one the warehouse started to ship (a paid order with nothing
-- shipped is status.paid_not_shipped's). Touched orders, and the orders that turned that old in the window.
SELECT order_id, to_json({status: any_value(status), created_at: any_value(created_at),
                          skus: list({sku: sku, ordered: ordered, shipped: shipped} ORDER BY sku)})::VARCHAR AS evidence
FROM (
    SELECT order_id, status, created_at, sku, ordered, shipped, order_shipped FROM order_fulfillment
    UNION
    SELECT order_id, status, created_at, sku, ordered, shipped, order_shipped FROM aging_short_lines
)
WHERE shipped < ordered
  AND (status IN ('shipped', 'delivered') OR (status = 'paid' AND order_shipped > 0))
  AND epoch($as_of::TIMESTAMP) - epoch(created_at) >= $unshipped_seconds
GROUP BY order_id
