-- The consistency checks' failing keys over the history, inside the warehouse: per check (and scope), the total and
-- the first %(key_limit)s keys in key order. {keys} is sql/consistency/select_failing_keys.sql rendered for Snowflake
-- (validators/history_consistency.py), from code.
SELECT check_id, scope, failing_key, COUNT(*) OVER (PARTITION BY check_id, scope) AS keys_failed
FROM (SELECT DISTINCT check_id, COALESCE(scope, '') AS scope, failing_key FROM ({keys}))
QUALIFY %(key_limit)s IS NULL OR ROW_NUMBER() OVER (PARTITION BY check_id, scope ORDER BY failing_key) <= %(key_limit)s
ORDER BY check_id, scope, failing_key
