-- The status and currency values of the orders quarantined as unknown to the contract, per batch whose window
-- overlaps [low, high): which new value a source started to send.
SELECT s.BATCH_ID, r.VALUE::VARCHAR AS REASON, q.RAW_RECORD:status::VARCHAR AS STATUS,
       q.RAW_RECORD:currency::VARCHAR AS CURRENCY, COUNT(*) AS N
FROM OPS.QUARANTINE_SIGHTINGS AS s
JOIN OPS.LOAD_BATCHES AS b ON b.BATCH_ID = s.BATCH_ID
JOIN QUARANTINE.ORDERS AS q ON q._ROW_KEY = s._ROW_KEY,
LATERAL FLATTEN(input => s.REASONS) AS r
WHERE s.QUARANTINE_TABLE = 'QUARANTINE.ORDERS' AND b.WINDOW_END > %(low)s AND b.WINDOW_START < %(high)s
  AND r.VALUE::VARCHAR IN ('schema.status_allowed', 'schema.currency_iso4217')
GROUP BY 1, 2, 3, 4
ORDER BY 1, 2, 3, 4
