-- The newest duplicate rate and reconciliation variance of each business day since %(since)s.
SELECT BUSINESS_DATE, METRIC, VALUE, THRESHOLD
FROM OPS.SLA_METRICS
WHERE BUSINESS_DATE >= %(since)s AND METRIC IN ('duplicate_rate', 'reconciliation_variance')
QUALIFY ROW_NUMBER() OVER (PARTITION BY BUSINESS_DATE, METRIC ORDER BY MEASURED_AT DESC, BATCH_ID DESC) = 1
ORDER BY BUSINESS_DATE, METRIC;
