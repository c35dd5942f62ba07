-- What a new version changed in one quarantine table (%(quarantine_table)s): the rows it quarantines against
-- those its superseded version quarantined (their sightings), by row identity; changed = other reasons.
WITH before AS (
    SELECT _ROW_KEY, TO_VARCHAR(REASONS) AS REASONS FROM OPS.QUARANTINE_SIGHTINGS_HISTORY
    WHERE _SUPERSEDED_BY = %(batch_id)s AND QUARANTINE_TABLE = %(quarantine_table)s
),
after AS (
    SELECT _ROW_KEY, TO_VARCHAR(REASONS) AS REASONS FROM OPS.QUARANTINE_SIGHTINGS
    WHERE BATCH_ID = %(batch_id)s AND QUARANTINE_TABLE = %(quarantine_table)s
),
d AS (
    SELECT CASE WHEN b._ROW_KEY IS NULL THEN 'added' WHEN a._ROW_KEY IS NULL THEN 'removed' ELSE 'changed' END AS CHANGE,
           COALESCE(a._ROW_KEY, b._ROW_KEY) AS K
    FROM before AS b
    FULL OUTER JOIN after AS a ON a._ROW_KEY = b._ROW_KEY
    WHERE b._ROW_KEY IS NULL OR a._ROW_KEY IS NULL OR a.REASONS IS DISTINCT FROM b.REASONS
)
SELECT CHANGE, LEFT(K, 16) AS KEY, COUNT(*) OVER (PARTITION BY CHANGE) AS N
FROM d
QUALIFY ROW_NUMBER() OVER (PARTITION BY CHANGE ORDER BY K) <= 10;
