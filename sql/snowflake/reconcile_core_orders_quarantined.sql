-- Source reconciliation, the orders known to be quarantined, the warehouse's side: the published orders (not marked
-- deleted) that have a row in QUARANTINE.ORDERS quarantined since %(low)s, each with its created day and its own
-- digest (the formula of reconcile_core_orders_keys.sql). One query; the caller keeps the orders whose latest
-- source version is the quarantined one.
WITH keyed AS (
    SELECT ORDER_ID, CREATED_AT::DATE AS DAY,
           MOD(ORDER_ID, 2147483647) AS ID_P,
           MOD(DATEDIFF('microsecond', '1970-01-01'::TIMESTAMP_NTZ, UPDATED_AT), 2147483647) AS US_P,
           MOD(CUSTOMER_ID, 2147483647) * 31 + MOD(TOTAL_AMOUNT_MINOR, 2147483647) AS CT,
           CASE STATUS WHEN 'pending' THEN 1 WHEN 'paid' THEN 2 WHEN 'shipped' THEN 3 WHEN 'delivered' THEN 4
                       WHEN 'cancelled' THEN 5 WHEN 'refunded' THEN 6 ELSE 7 END AS ST
    FROM CORE.ORDERS
    WHERE _DELETED_AT IS NULL AND ORDER_ID IN (
        SELECT ORDER_ID FROM QUARANTINE.ORDERS WHERE ORDER_ID IS NOT NULL AND _QUARANTINED_AT >= %(low)s
    )
),
mixed AS (
    SELECT ORDER_ID, DAY,
           MOD(MOD(ID_P * 48271 + US_P, 2147483647) * 16807 + MOD(CT, 2147483647) + ST, 2147483647) AS X1,
           MOD(MOD(US_P * 69621 + ID_P + 12345, 2147483647) * 48271 + MOD(CT * 17, 2147483647) + ST * 101, 2147483647) AS X2
    FROM keyed
)
SELECT ORDER_ID, DAY, MOD(X1 * X1, 2147483647) AS R1, MOD(X2 * X2, 2147483647) AS R2
FROM mixed;
