-- The router's `repeated_keys` over a history ({key}: the dataset contract's key, from code): keys held more than
-- once. CORE holds each key once, so it is empty there unless CORE itself is wrong.
SELECT {key} AS key FROM batch WHERE {key} IS NOT NULL GROUP BY {key} HAVING COUNT(*) > 1
