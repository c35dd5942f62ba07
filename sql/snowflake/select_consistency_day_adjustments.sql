-- The reconciled business days' revenue corrections, by their own business day (already in the business timezone).
SELECT BUSINESS_DAY AS BUSINESS_DATE, CURRENCY, AMOUNT_MINOR, REASON, CORRECTION_ID
FROM MARTS.REVENUE_ADJUSTMENTS
WHERE BUSINESS_DAY >= %(first_day)s AND BUSINESS_DAY <= %(last_day)s;
