-- Quarantined orders per reason: ROWS_QUARANTINED counts source rows (each is one row however many batches
-- read it), BATCH_SIGHTINGS how many times batches quarantined them (the overlap re-reads some rows).
SELECT r.VALUE::VARCHAR AS REASON, COUNT(DISTINCT q._ROW_KEY) AS ROWS_QUARANTINED, COUNT(*) AS BATCH_SIGHTINGS
FROM QUARANTINE.ORDERS AS q, LATERAL FLATTEN(input => q.REASONS) AS r, OPS.QUARANTINE_SIGHTINGS AS s
WHERE s.QUARANTINE_TABLE = 'QUARANTINE.ORDERS' AND s._ROW_KEY = q._ROW_KEY
GROUP BY REASON
ORDER BY REASON;
