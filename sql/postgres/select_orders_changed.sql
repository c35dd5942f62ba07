-- Orders changed in [low, high): every column, so a dropped, renamed or retyped column is seen by the
-- schema contract instead of failing here.
SELECT *
FROM orders
WHERE updated_at >= $1 AND updated_at < $2
