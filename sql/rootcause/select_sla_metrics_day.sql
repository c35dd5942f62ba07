-- The day's SLA metric values by every consistency batch, oldest first. Per-run metrics (freshness) belong to the day
-- their run's window ended in; MEASURED_AT is that window end (the run's "now"), not the wall clock, so a rerun of
-- an old window is judged the same.
SELECT m.BATCH_ID, m.BUSINESS_DATE, m.METRIC, m.VALUE, m.THRESHOLD, m.WITHIN_SLA, b.WINDOW_END AS MEASURED_AT
FROM OPS.SLA_METRICS AS m
JOIN OPS.LOAD_BATCHES AS b ON b.BATCH_ID = m.BATCH_ID
WHERE m.METRIC LIKE %(metric)s AND (m.BUSINESS_DATE = %(day)s
      OR (m.BUSINESS_DATE IS NULL AND b.WINDOW_END > %(low)s AND b.WINDOW_END <= %(high)s))
ORDER BY b.WINDOW_END, m.METRIC
