-- Mark orders deleted at the source (kept for audit; marts, revenue and the consistency fetches skip them),
-- with their lines, and record each delete once, in the reconcile run's transaction.
UPDATE CORE.ORDERS SET _DELETED_AT = %(detected_at)s WHERE ORDER_ID IN (%(ids)s) AND _DELETED_AT IS NULL;

UPDATE CORE.ORDER_LINES SET _DELETED_AT = %(detected_at)s WHERE ORDER_ID IN (%(ids)s) AND _DELETED_AT IS NULL;

INSERT INTO OPS.SOURCE_DELETES (SOURCE, ORDER_ID, DETECTED_AT, BATCH_ID, HOW)
SELECT 'orders', o.ORDER_ID, %(detected_at)s, %(batch_id)s, %(how)s
FROM CORE.ORDERS AS o
WHERE o.ORDER_ID IN (%(ids)s) AND o._DELETED_AT = %(detected_at)s;
