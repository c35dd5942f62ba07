-- Two order ids for one purchase, by two rules. duplicates.same_purchase: the same customer, amount, currency
-- and items created within the window; each pair once, the later order (by created_at, then id) as ORDER_ID.
-- The items signature is the order's SKUs with their quantities summed per SKU, sorted by SKU ("SKU-1x2,SKU-7x1");
-- an order without lines in CORE.ORDER_LINES has the empty signature.
-- duplicates.payment_intent_two_orders: one payment intent linked over time to two orders.
CREATE OR REPLACE TABLE out_duplicates AS
WITH items AS (
    SELECT order_id, string_agg(sku || 'x' || quantity, ',' ORDER BY sku) AS items
    FROM (
        SELECT order_id, sku, sum(quantity) AS quantity
        FROM (SELECT DISTINCT order_id, line_no, sku, quantity FROM order_lines)
        GROUP BY ALL
    )
    GROUP BY order_id
),
nearby AS (
    SELECT order_id, customer_id, status, currency, total_amount_minor, created_at FROM customer_orders
    UNION
    SELECT order_id, customer_id, status, currency, total_amount_minor, created_at FROM new_orders
),
pairs AS (
    SELECT CASE WHEN n.created_at > c.created_at OR (n.created_at = c.created_at AND n.order_id > c.order_id)
                THEN n ELSE c END AS later,
           CASE WHEN n.created_at > c.created_at OR (n.created_at = c.created_at AND n.order_id > c.order_id)
                THEN c ELSE n END AS earlier,
           coalesce(ni.items, '') AS items
    FROM new_orders AS n
    JOIN nearby AS c
      ON c.customer_id = n.customer_id AND c.currency = n.currency
     AND c.total_amount_minor = n.total_amount_minor AND c.order_id <> n.order_id
     AND abs(epoch(n.created_at) - epoch(c.created_at)) <= $duplicate_window_seconds
    LEFT JOIN items AS ni ON ni.order_id = n.order_id
    LEFT JOIN items AS ci ON ci.order_id = c.order_id
    WHERE coalesce(ni.items, '') = coalesce(ci.items, '')
)
SELECT DISTINCT 'duplicates.same_purchase' AS rule_id, later.order_id AS order_id, earlier.order_id AS duplicate_of,
       CAST(timezone($tz, later.created_at AT TIME ZONE 'UTC') AS DATE) AS business_date,
       to_json({customer_id: later.customer_id, currency: later.currency,
                total_amount_minor: later.total_amount_minor, items: items,
                seconds_apart: epoch(later.created_at) - epoch(earlier.created_at),
                later_order: {order_id: later.order_id, status: later.status, created_at: later.created_at},
                duplicate_of: {order_id: earlier.order_id, status: earlier.status, created_at: earlier.created_at}
       })::VARCHAR AS evidence
FROM pairs
UNION ALL
-- One payment intent linked to two orders: each later-linked order is a duplicate of the first-linked one.
SELECT DISTINCT 'duplicates.payment_intent_two_orders', later.order_id, first.order_id,
       CAST(timezone($tz, later.linked_at AT TIME ZONE 'UTC') AS DATE),
       to_json({payment_intent_id: later.payment_intent_id,
                links: [{order_id: first.order_id, event_id: first.event_id, linked_at: first.linked_at},
                        {order_id: later.order_id, event_id: later.event_id, linked_at: later.linked_at}]})::VARCHAR
FROM (
    SELECT payment_intent_id, order_id, min(linked_at) AS linked_at, arg_min(event_id, linked_at) AS event_id
    FROM (SELECT payment_intent_id, order_id, event_id, linked_at FROM known_links
          UNION ALL SELECT payment_intent_id, order_id, event_id, linked_at FROM new_links)
    WHERE order_id IS NOT NULL
    GROUP BY payment_intent_id, order_id
) AS later
JOIN (
    SELECT payment_intent_id, arg_min(order_id, (linked_at, order_id)) AS order_id, min(linked_at) AS linked_at,
           arg_min(event_id, (linked_at, order_id)) AS event_id
    FROM (SELECT payment_intent_id, order_id, event_id, linked_at FROM known_links
          UNION ALL SELECT payment_intent_id, order_id, event_id, linked_at FROM new_links)
    WHERE order_id IS NOT NULL
    GROUP BY payment_intent_id
) AS first ON first.payment_intent_id = later.payment_intent_id AND first.order_id <> later.order_id
WHERE later.payment_intent_id IN (SELECT payment_intent_id FROM new_links);

-- The links first seen in this run's batches, for OPS.PAYMENT_ORDER_LINKS.
CREATE OR REPLACE TABLE out_links AS
SELECT payment_intent_id, order_id, arg_min(event_id, linked_at) AS event_id, min(linked_at) AS linked_at,
       arg_min(_batch_id, linked_at) AS source_batch_id
FROM new_links AS n
WHERE order_id IS NOT NULL
  AND NOT EXISTS (
      SELECT 1 FROM known_links AS k WHERE k.payment_intent_id = n.payment_intent_id AND k.order_id = n.order_id
  )
GROUP BY payment_intent_id, order_id;

-- The daily duplicate-order rate: orders that are the later of a candidate pair over orders created that day.
CREATE OR REPLACE TABLE duplicate_rates AS
WITH flagged AS (
    SELECT DISTINCT order_id, business_date
    FROM (SELECT order_id, business_date FROM day_duplicates UNION ALL SELECT order_id, business_date FROM out_duplicates)
),
created AS (
    SELECT CAST(timezone($tz, created_at AT TIME ZONE 'UTC') AS DATE) AS business_date, count(*) AS orders
    FROM day_orders
    GROUP BY ALL
)
SELECT d.business_date, coalesce(c.orders, 0) AS orders,
       (SELECT count(*) FROM flagged AS f WHERE f.business_date = d.business_date) AS duplicates,
       CASE WHEN coalesce(c.orders, 0) = 0 THEN 0.0
            ELSE (SELECT count(*) FROM flagged AS f WHERE f.business_date = d.business_date) / c.orders END AS rate
FROM (SELECT unnest($days::DATE[]) AS business_date) AS d
LEFT JOIN created AS c USING (business_date);
