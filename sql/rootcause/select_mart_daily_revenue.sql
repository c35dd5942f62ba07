-- A publication's certified revenue for one business day; {relation} is <publication schema>.FCT_DAILY_REVENUE_V<n>,
-- both checked as identifiers by the caller (northstar/rootcause/evidence.py).
SELECT BUSINESS_DATE, CURRENCY, NET_REVENUE_MINOR
FROM {relation}
WHERE BUSINESS_DATE = %(day)s AND (%(currency)s IS NULL OR CURRENCY = %(currency)s)
ORDER BY CURRENCY
