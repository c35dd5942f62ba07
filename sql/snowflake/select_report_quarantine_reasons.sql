-- Quarantined rows per day, quarantine table and reason since %(since)s (one row counted once per reason).
SELECT CAST(s.SEEN_AT AS DATE) AS DAY, s.QUARANTINE_TABLE, r.VALUE::VARCHAR AS REASON, COUNT(*) AS N
FROM OPS.QUARANTINE_SIGHTINGS AS s, LATERAL FLATTEN(input => s.REASONS) AS r
WHERE s.SEEN_AT >= %(since)s
GROUP BY 1, 2, 3
ORDER BY 1, 2, 3;
