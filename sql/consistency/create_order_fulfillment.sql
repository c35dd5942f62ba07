-- Ordered against shipped quantity per touched order and SKU, for the orders with ordered lines. A SKU shipped
-- but never ordered counts as ordered 0. Shipment lines match order lines by (order_id, sku), never by line_no.
CREATE OR REPLACE TABLE order_fulfillment AS
WITH ordered AS (
    SELECT order_id, sku, sum(quantity) AS ordered
    FROM (SELECT DISTINCT order_id, line_no, sku, quantity FROM order_lines)
    WHERE order_id IN (SELECT order_id FROM orders)
    GROUP BY ALL
),
shipped AS (
    SELECT order_id, sku, sum(quantity) AS shipped
    FROM shipment_lines
    WHERE order_id IN (SELECT order_id FROM ordered)
    GROUP BY ALL
)
SELECT o.order_id, o.status, o.created_at, coalesce(d.sku, s.sku) AS sku, coalesce(d.ordered, 0) AS ordered,
       coalesce(s.shipped, 0) AS shipped, sum(coalesce(s.shipped, 0)) OVER (PARTITION BY o.order_id) AS order_shipped
FROM ordered AS d
FULL JOIN shipped AS s ON s.order_id = d.order_id AND s.sku = d.sku
JOIN orders AS o ON o.order_id = coalesce(d.order_id, s.order_id)
