-- Two order ids for one purchase: the same customer, amount and currency created within the window. Each
-- pair once, the later order (by created_at, then id) as ORDER_ID. Orders carry no line items in the source
-- contract, so items are not compared (README.md).
CREATE OR REPLACE TABLE out_duplicates AS
WITH nearby AS (
    SELECT order_id, customer_id, status, currency, total_amount_minor, created_at FROM customer_orders
    UNION
    SELECT order_id, customer_id, status, currency, total_amount_minor, created_at FROM new_orders
),
pairs AS (
    SELECT CASE WHEN n.created_at > c.created_at OR (n.created_at = c.created_at AND n.order_id > c.order_id)
                THEN n ELSE c END AS later,
           CASE WHEN n.created_at > c.created_at OR (n.created_at = c.created_at AND n.order_id > c.order_id)
                THEN c ELSE n END AS earlier
    FROM new_orders AS n
    JOIN nearby AS c
      ON c.customer_id = n.customer_id AND c.currency = n.currency
     AND c.total_amount_minor = n.total_amount_minor AND c.order_id <> n.order_id
     AND abs(epoch(n.created_at) - epoch(c.created_at)) <= $duplicate_window_seconds
)
SELECT DISTINCT 'duplicates.same_purchase' AS rule_id, later.order_id AS order_id, earlier.order_id AS duplicate_of,
       CAST(timezone($tz, later.created_at AT TIME ZONE 'UTC') AS DATE) AS business_date,
       to_json({customer_id: later.customer_id, currency: later.currency,
                total_amount_minor: later.total_amount_minor,
                seconds_apart: epoch(later.created_at) - epoch(earlier.created_at),
                later_order: {order_id: later.order_id, status: later.status, created_at: later.created_at},
                duplicate_of: {order_id: earlier.order_id, status: earlier.status, created_at: earlier.created_at}
       })::VARCHAR AS evidence
FROM pairs;

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
