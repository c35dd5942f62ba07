-- Every quarantine reason ever recorded, per quarantine table, with when it was first seen.
SELECT s.QUARANTINE_TABLE, r.VALUE::VARCHAR AS REASON, MIN(s.SEEN_AT) AS FIRST_SEEN
FROM OPS.QUARANTINE_SIGHTINGS AS s, LATERAL FLATTEN(input => s.REASONS) AS r
GROUP BY s.QUARANTINE_TABLE, r.VALUE::VARCHAR
ORDER BY 1, 2;
