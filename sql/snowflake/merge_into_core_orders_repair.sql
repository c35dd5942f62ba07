-- A repair batch's upsert (flows/orders_repair.py): as merge_into_core_orders.sql, except that an equal version
-- also replaces CORE's row: the source reconciliation found its content differs (a bulk fix that did not touch
-- updated_at), and the source is the truth.
-- Upsert the staged orders into CORE.ORDERS, keyed on ORDER_ID: an older version never overwrites a
-- newer one, and an equal version changes nothing, so a repeated load is a no-op; an order marked deleted is
-- replaced by any version a batch publishes (it was restored at the source).
-- Written as DELETE + INSERT inside the load's one transaction (dbt's delete+insert strategy): fakesnow
-- 0.12 cannot run MERGE inside an explicit transaction (see DEVELOPERS.md); on Snowflake both are atomic.
DELETE FROM CORE.ORDERS
USING (
    SELECT ORDER_ID, MAX(UPDATED_AT) AS UPDATED_AT FROM OPS.STAGE_ORDERS GROUP BY ORDER_ID
) AS s
WHERE CORE.ORDERS.ORDER_ID = s.ORDER_ID
  AND (s.UPDATED_AT >= CORE.ORDERS.UPDATED_AT OR CORE.ORDERS._DELETED_AT IS NOT NULL);

INSERT INTO CORE.ORDERS (
    ORDER_ID, CUSTOMER_ID, STATUS, CURRENCY, TOTAL_AMOUNT_MINOR, CREATED_AT, UPDATED_AT, _BATCH_ID, _LOADED_AT
)
SELECT
    s.ORDER_ID, s.CUSTOMER_ID, s.STATUS, s.CURRENCY, s.TOTAL_AMOUNT_MINOR, s.CREATED_AT, s.UPDATED_AT,
    %(batch_id)s, %(loaded_at)s
FROM OPS.STAGE_ORDERS AS s
WHERE NOT EXISTS (SELECT 1 FROM CORE.ORDERS AS t WHERE t.ORDER_ID = s.ORDER_ID)
QUALIFY ROW_NUMBER() OVER (PARTITION BY s.ORDER_ID ORDER BY s.UPDATED_AT DESC) = 1;
