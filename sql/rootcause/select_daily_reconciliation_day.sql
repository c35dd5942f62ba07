-- Every comparison of a business day with finance, by every consistency batch that made one, oldest first.
SELECT d.BUSINESS_DATE, d.CURRENCY, d.NET_MINOR, d.FINANCE_NET_MINOR, d.VARIANCE, d.WITHIN_SLA, d.FINANCE_FILE,
       d._BATCH_ID AS BATCH_ID, d._CHECKED_AT AS CHECKED_AT, b.STATUS
FROM OPS.DAILY_RECONCILIATION AS d
LEFT JOIN OPS.LOAD_BATCHES AS b ON b.BATCH_ID = d._BATCH_ID
WHERE d.BUSINESS_DATE = %(day)s AND (%(currency)s IS NULL OR d.CURRENCY = %(currency)s)
ORDER BY d._CHECKED_AT, d._BATCH_ID, d.CURRENCY
