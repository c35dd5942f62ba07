-- Source reconciliation, per created day (UTC), the warehouse's side: the published orders not marked deleted, created in
-- [low, high), with the digest of sql/postgres/reconcile_orders_by_day.sql (the same formula).
WITH keyed AS (
    SELECT CREATED_AT::DATE AS DAY, ORDER_ID,
           MOD(ORDER_ID, 2147483647) AS ID_P,
           MOD(DATEDIFF('microsecond', '1970-01-01'::TIMESTAMP_NTZ, UPDATED_AT), 2147483647) AS US_P,
           MOD(CUSTOMER_ID, 2147483647) * 31 + MOD(TOTAL_AMOUNT_MINOR, 2147483647) AS CT,
           CASE STATUS WHEN 'pending' THEN 1 WHEN 'paid' THEN 2 WHEN 'shipped' THEN 3 WHEN 'delivered' THEN 4
                       WHEN 'cancelled' THEN 5 WHEN 'refunded' THEN 6 ELSE 7 END AS ST
    FROM CORE.ORDERS
    WHERE _DELETED_AT IS NULL AND CREATED_AT >= %(low)s AND CREATED_AT < %(high)s
),
mixed AS (
    SELECT DAY, ORDER_ID,
           MOD(MOD(ID_P * 48271 + US_P, 2147483647) * 16807 + MOD(CT, 2147483647) + ST, 2147483647) AS X1,
           MOD(MOD(US_P * 69621 + ID_P + 12345, 2147483647) * 48271 + MOD(CT * 17, 2147483647) + ST * 101, 2147483647) AS X2
    FROM keyed
)
SELECT DAY, COUNT(*) AS N, SUM(MOD(X1 * X1, 2147483647)) AS H1, SUM(MOD(X2 * X2, 2147483647)) AS H2,
       MIN(ORDER_ID) AS LO, MAX(ORDER_ID) AS HI
FROM mixed
GROUP BY DAY
ORDER BY DAY;
