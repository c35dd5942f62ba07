-- The lines of the orders changed in [low, high): the same window as select_orders_changed.sql, read in the
-- same snapshot, so a batch carries each order it read with the lines it had then. Every column, so the
-- lines' schema contract sees a dropped, renamed or retyped column.
SELECT l.*
FROM order_lines AS l
WHERE l.order_id IN (SELECT o.order_id FROM orders AS o WHERE o.updated_at >= $1 AND o.updated_at < $2)
