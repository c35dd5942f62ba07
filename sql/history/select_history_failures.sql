-- One check over a whole history, inside the warehouse: the distinct failing keys in key order, each row carrying
-- their total, at most %(key_limit)s of them (the worker reads only these). {ctes} are the history and its
-- context tables, {check} the check's query rendered for Snowflake (validators/history.py); both from code.
WITH {ctes}
SELECT _row_id AS failing_key, COUNT(*) OVER () AS rows_failed
FROM (SELECT DISTINCT TO_VARCHAR(_row_id) AS _row_id FROM ({check}))
ORDER BY failing_key
LIMIT %(key_limit)s
