-- A repair batch's order lines: every line of the given order ids ($1: comma-separated).
SELECT l.* FROM order_lines AS l WHERE l.order_id = ANY(string_to_array($1, ',')::bigint[])
