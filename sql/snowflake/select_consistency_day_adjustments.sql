-- The reconciled business days' revenue adjustments (applied corrections), per day and currency.
SELECT BUSINESS_DAY, CURRENCY, SUM(AMOUNT_MINOR) AS AMOUNT_MINOR
FROM MARTS.REVENUE_ADJUSTMENTS
WHERE BUSINESS_DAY >= %(first_day)s AND BUSINESS_DAY <= %(last_day)s
GROUP BY BUSINESS_DAY, CURRENCY;
