-- Replace the lines of the orders this batch published (the rows merge_into_core_orders.sql, run before this
-- in the same transaction, wrote with this batch id) by the batch's passed lines of those orders. An order
-- the batch did not publish (an older or equal version) keeps its lines. DELETE + INSERT rather than MERGE:
-- fakesnow 0.12 cannot MERGE inside a transaction (DEVELOPERS.md); on Snowflake both are atomic.
DELETE FROM CORE.ORDER_LINES
USING (SELECT ORDER_ID FROM CORE.ORDERS WHERE _BATCH_ID = %(batch_id)s) AS p
WHERE CORE.ORDER_LINES.ORDER_ID = p.ORDER_ID;

INSERT INTO CORE.ORDER_LINES (
    ORDER_ID, LINE_NO, SKU, QUANTITY, UNIT_PRICE_MINOR, UPDATED_AT, _BATCH_ID, _LOADED_AT
)
SELECT s.ORDER_ID, s.LINE_NO, s.SKU, s.QUANTITY, s.UNIT_PRICE_MINOR, s.UPDATED_AT, %(batch_id)s, %(loaded_at)s
FROM OPS.STAGE_ORDER_LINES AS s
WHERE s.ORDER_ID IN (SELECT ORDER_ID FROM CORE.ORDERS WHERE _BATCH_ID = %(batch_id)s);
