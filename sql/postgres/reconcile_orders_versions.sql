-- The source's latest updated_at (epoch microseconds) of the given order ids ($1: comma-separated).
SELECT order_id, (extract(epoch FROM max(updated_at)) * 1000000)::bigint AS updated_us
FROM orders
WHERE order_id = ANY(string_to_array($1, ',')::bigint[])
GROUP BY order_id
