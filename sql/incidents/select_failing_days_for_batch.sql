-- The business days a consistency batch found off against finance: the cause days of its revenue incidents.
SELECT DISTINCT BUSINESS_DATE
FROM OPS.DAILY_RECONCILIATION
WHERE _BATCH_ID = %(batch_id)s AND NOT WITHIN_SLA
ORDER BY BUSINESS_DATE
