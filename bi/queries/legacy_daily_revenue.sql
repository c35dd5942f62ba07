-- An existing dashboard on the old pipeline's columns, through the compatibility layer (dbt/compatibility.yml).
-- columns: BUSINESS_DATE, CURRENCY, NET_MINOR, PAYMENTS, REFUNDS
SELECT BUSINESS_DATE, CURRENCY, NET_MINOR, PAYMENTS, REFUNDS
FROM MARTS_COMPAT.DAILY_REVENUE
ORDER BY BUSINESS_DATE, CURRENCY
