-- A repair batch's orders: every row of the given order ids ($1: comma-separated), every column (the schema
-- contract sees them as it sees a window's rows).
SELECT * FROM orders WHERE order_id = ANY(string_to_array($1, ',')::bigint[])
