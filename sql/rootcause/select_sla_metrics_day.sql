-- The day's SLA metric values by every consistency batch, oldest first (freshness metrics are per run).
SELECT m.BATCH_ID, m.BUSINESS_DATE, m.METRIC, m.VALUE, m.THRESHOLD, m.WITHIN_SLA, m.MEASURED_AT
FROM OPS.SLA_METRICS AS m
WHERE m.METRIC LIKE %(metric)s AND (m.BUSINESS_DATE = %(day)s
      OR (m.BUSINESS_DATE IS NULL AND m.MEASURED_AT >= %(low)s AND m.MEASURED_AT < %(high)s))
ORDER BY m.MEASURED_AT, m.METRIC
