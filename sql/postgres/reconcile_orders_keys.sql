-- Source reconciliation, last level: the orders (the latest version of each order_id; a row without one can never be
-- published) created in [$1, $2) with order_id in [$3, $4]: each order's own
-- digest. Each order is mixed into x1, x2 (mod p = 2^31 - 1) from its id, updated_at
-- (epoch microseconds, 0 when NULL), customer, total and status, so a bulk fix that did not touch updated_at shows
-- too; a set's digest is (count, sum of x1*x1 mod p, sum of x2*x2 mod p): order-independent. The warehouse side
-- (sql/snowflake/reconcile_core_orders_*.sql) computes the same numbers in the same bigint arithmetic.
WITH latest AS (
    SELECT DISTINCT ON (order_id) order_id, customer_id, status, total_amount_minor, created_at, updated_at
    FROM orders
    WHERE order_id IS NOT NULL AND created_at >= $1 AND created_at < $2 AND order_id >= $3 AND order_id <= $4
    ORDER BY order_id, updated_at DESC NULLS LAST, ctid  -- ctid: one pick among equal versions in the snapshot
),
keyed AS (
    SELECT order_id,
           mod(order_id, 2147483647) AS id_p,
           mod(COALESCE((extract(epoch FROM updated_at) * 1000000)::bigint, 0), 2147483647) AS us_p,
           mod(COALESCE(customer_id, 0), 2147483647) * 31 + mod(COALESCE(total_amount_minor, 0), 2147483647) AS ct,
           CASE status WHEN 'pending' THEN 1 WHEN 'paid' THEN 2 WHEN 'shipped' THEN 3 WHEN 'delivered' THEN 4
                       WHEN 'cancelled' THEN 5 WHEN 'refunded' THEN 6 ELSE 7 END AS st
    FROM latest
),
mixed AS (
    SELECT order_id,
           mod(mod(id_p * 48271 + us_p, 2147483647) * 16807 + mod(ct, 2147483647) + st, 2147483647) AS x1,
           mod(mod(us_p * 69621 + id_p + 12345, 2147483647) * 48271 + mod(ct * 17, 2147483647) + st * 101, 2147483647) AS x2
    FROM keyed
)
SELECT order_id, mod(x1 * x1, 2147483647) AS r1, mod(x2 * x2, 2147483647) AS r2
FROM mixed
