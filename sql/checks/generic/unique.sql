-- unique: every row of a key the batch holds more than once (every copy: which one is true cannot be told),
-- and every row missing a required column of its key. Keys with a null part are never equal to another.
SELECT b._row_id
FROM batch AS b
SEMI JOIN (
    SELECT {keys} FROM batch WHERE {keys_present} GROUP BY ALL HAVING count(*) > 1
) AS r ON {keys_match}
UNION ALL
SELECT _row_id FROM batch WHERE {required_missing}
