-- Duplicate candidates already recorded for the reconciled days.
SELECT DISTINCT ORDER_ID, BUSINESS_DATE
FROM OPS.DUPLICATE_CANDIDATES
WHERE BUSINESS_DATE >= %(first_day)s AND BUSINESS_DATE <= %(last_day)s;
