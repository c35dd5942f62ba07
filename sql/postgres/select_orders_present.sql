-- Which of the given order ids ($1: comma-separated) still have a row in the source.
SELECT DISTINCT order_id FROM orders WHERE order_id = ANY(string_to_array($1, ',')::bigint[])
