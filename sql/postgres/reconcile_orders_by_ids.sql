-- Source reconciliation, the orders known to be quarantined: for the given order ids ($3: comma-separated) created
-- in [$1, $2), the latest version's created day (UTC), updated_at (epoch microseconds, NULL when none) and its own
-- digest (the formula of sql/postgres/reconcile_orders_keys.sql), so the reconciliation takes them out of both sides.
WITH latest AS (
    SELECT DISTINCT ON (order_id) order_id, customer_id, status, total_amount_minor, created_at, updated_at
    FROM orders
    WHERE order_id = ANY(string_to_array($3, ',')::bigint[]) AND created_at >= $1 AND created_at < $2
    ORDER BY order_id, updated_at DESC NULLS LAST, ctid  -- ctid: one pick among equal versions in the snapshot
),
keyed AS (
    SELECT order_id, (created_at AT TIME ZONE 'UTC')::date AS day,
           (extract(epoch FROM updated_at) * 1000000)::bigint AS updated_us,
           mod(order_id, 2147483647) AS id_p,
           mod(COALESCE((extract(epoch FROM updated_at) * 1000000)::bigint, 0), 2147483647) AS us_p,
           mod(COALESCE(customer_id, 0), 2147483647) * 31 + mod(COALESCE(total_amount_minor, 0), 2147483647) AS ct,
           CASE status WHEN 'pending' THEN 1 WHEN 'paid' THEN 2 WHEN 'shipped' THEN 3 WHEN 'delivered' THEN 4
                       WHEN 'cancelled' THEN 5 WHEN 'refunded' THEN 6 ELSE 7 END AS st
    FROM latest
),
mixed AS (
    SELECT order_id, day, updated_us,
           mod(mod(id_p * 48271 + us_p, 2147483647) * 16807 + mod(ct, 2147483647) + st, 2147483647) AS x1,
           mod(mod(us_p * 69621 + id_p + 12345, 2147483647) * 48271 + mod(ct * 17, 2147483647) + st * 101, 2147483647) AS x2
    FROM keyed
)
SELECT order_id, day, updated_us, mod(x1 * x1, 2147483647) AS r1, mod(x2 * x2, 2147483647) AS r2
FROM mixed
