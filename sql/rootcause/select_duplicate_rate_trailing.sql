-- The trailing 7 business days' duplicate rate before the day, counted as the gate counts it: the orders recorded as
-- the later of a candidate pair (OPS.DUPLICATE_CANDIDATES, each order once per day) over the orders created in those
-- days ([low, high) in UTC, deleted orders apart). Bounded by the week's dates.
SELECT (SELECT COUNT(*)
        FROM (SELECT DISTINCT ORDER_ID, BUSINESS_DATE
              FROM OPS.DUPLICATE_CANDIDATES
              WHERE BUSINESS_DATE >= %(first_day)s AND BUSINESS_DATE < %(day)s) AS flagged) AS DUPLICATES,
       (SELECT COUNT(*)
        FROM CORE.ORDERS
        WHERE _DELETED_AT IS NULL AND CREATED_AT >= %(low)s AND CREATED_AT < %(high)s) AS ORDERS
