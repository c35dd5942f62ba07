-- SLA metrics for OPS.SLA_METRICS: per run (business_date null) and per reconciled business day.
CREATE OR REPLACE TABLE out_metrics AS
SELECT NULL::DATE AS business_date, 'pending_references' AS metric,
       count(*)::DOUBLE AS value, NULL::DOUBLE AS threshold, NULL::BOOLEAN AS within_sla
FROM reference_states WHERE state IN ('pending', 'waiting')
UNION ALL
SELECT NULL, 'pending_max_age_hours',
       coalesce(max(epoch($as_of::TIMESTAMP) - epoch(pending_since)) / 3600.0, 0), $grace_seconds / 3600.0,
       coalesce(max(epoch($as_of::TIMESTAMP) - epoch(pending_since)), 0) < $grace_seconds
FROM reference_states WHERE state IN ('pending', 'waiting')
UNION ALL
SELECT NULL, 'orphaned_references', count(*), NULL, NULL FROM reference_states WHERE state = 'orphaned'
UNION ALL
SELECT NULL, 'quarantine_rate', coalesce(sum(rows_quarantined) / nullif(sum(rows_extracted), 0), 0), NULL, NULL
FROM inputs
UNION ALL
SELECT NULL, 'freshness_minutes_' || source, (epoch($as_of::TIMESTAMP) - epoch(window_end)) / 60.0,
       CASE source WHEN 'fulfillment' THEN 80.0 ELSE 20.0 END,
       (epoch($as_of::TIMESTAMP) - epoch(window_end)) / 60.0 <= CASE source WHEN 'fulfillment' THEN 80.0 ELSE 20.0 END
FROM latest_batches
UNION ALL
SELECT business_date, 'duplicate_rate', rate, $max_duplicate_rate, rate < $max_duplicate_rate FROM duplicate_rates
UNION ALL
SELECT business_date, 'reconciliation_variance', max(variance), $max_variance, max(variance) < $max_variance
FROM out_daily GROUP BY business_date;
