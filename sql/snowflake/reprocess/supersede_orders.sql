-- A new version of an orders batch takes over from the version it supersedes, inside its load transaction and
-- before the ordinary load files (merge_into_core_orders.sql ...) publish it: the rows the superseded version
-- published, and the older rows of other batches the new version will displace (the merge's own rule), go to
-- the _HISTORY tables as they were; the superseded version's rows and quarantine sightings are then removed, so
-- the rows it published that the new version does not produce leave CORE, and rows it quarantined that the new
-- version passes leave QUARANTINE (when no other batch saw them). A later batch's newer version of an order is
-- owned by that batch and is neither archived nor touched: the merge never replaces a newer version.
INSERT INTO CORE.ORDERS_HISTORY (
    ORDER_ID, CUSTOMER_ID, STATUS, CURRENCY, TOTAL_AMOUNT_MINOR, CREATED_AT, UPDATED_AT, _BATCH_ID, _LOADED_AT,
    _DELETED_AT, _SUPERSEDED_BY, _SUPERSEDED_AT
)
SELECT c.ORDER_ID, c.CUSTOMER_ID, c.STATUS, c.CURRENCY, c.TOTAL_AMOUNT_MINOR, c.CREATED_AT, c.UPDATED_AT,
       c._BATCH_ID, c._LOADED_AT, c._DELETED_AT, %(batch_id)s, %(loaded_at)s
FROM CORE.ORDERS AS c
LEFT JOIN (
    SELECT ORDER_ID, MAX(UPDATED_AT) AS UPDATED_AT FROM OPS.STAGE_ORDERS GROUP BY ORDER_ID
) AS s ON s.ORDER_ID = c.ORDER_ID
WHERE c._BATCH_ID = %(supersedes)s
   OR (s.ORDER_ID IS NOT NULL AND (s.UPDATED_AT > c.UPDATED_AT OR c._DELETED_AT IS NOT NULL));

INSERT INTO CORE.ORDER_LINES_HISTORY (
    ORDER_ID, LINE_NO, SKU, QUANTITY, UNIT_PRICE_MINOR, UPDATED_AT, _BATCH_ID, _LOADED_AT, _DELETED_AT,
    _SUPERSEDED_BY, _SUPERSEDED_AT
)
SELECT l.ORDER_ID, l.LINE_NO, l.SKU, l.QUANTITY, l.UNIT_PRICE_MINOR, l.UPDATED_AT, l._BATCH_ID, l._LOADED_AT,
       l._DELETED_AT, %(batch_id)s, %(loaded_at)s
FROM CORE.ORDER_LINES AS l
WHERE l._BATCH_ID = %(supersedes)s
   OR l.ORDER_ID IN (SELECT ORDER_ID FROM CORE.ORDERS_HISTORY WHERE _SUPERSEDED_BY = %(batch_id)s);

INSERT INTO OPS.QUARANTINE_SIGHTINGS_HISTORY (
    QUARANTINE_TABLE, _ROW_KEY, BATCH_ID, REASONS, _SOURCE_ROW, SEEN_AT, _SUPERSEDED_BY, _SUPERSEDED_AT
)
SELECT QUARANTINE_TABLE, _ROW_KEY, BATCH_ID, REASONS, _SOURCE_ROW, SEEN_AT, %(batch_id)s, %(loaded_at)s
FROM OPS.QUARANTINE_SIGHTINGS
WHERE BATCH_ID = %(supersedes)s AND QUARANTINE_TABLE IN ('QUARANTINE.ORDERS', 'QUARANTINE.ORDER_LINES');

DELETE FROM CORE.ORDER_LINES WHERE _BATCH_ID = %(supersedes)s;

DELETE FROM CORE.ORDERS WHERE _BATCH_ID = %(supersedes)s;

DELETE FROM OPS.QUARANTINE_SIGHTINGS
WHERE BATCH_ID = %(supersedes)s AND QUARANTINE_TABLE IN ('QUARANTINE.ORDERS', 'QUARANTINE.ORDER_LINES');

DELETE FROM QUARANTINE.ORDERS
WHERE _ROW_KEY IN (
        SELECT _ROW_KEY FROM OPS.QUARANTINE_SIGHTINGS_HISTORY
        WHERE _SUPERSEDED_BY = %(batch_id)s AND QUARANTINE_TABLE = 'QUARANTINE.ORDERS'
    )
  AND NOT EXISTS (
        SELECT 1 FROM OPS.QUARANTINE_SIGHTINGS AS o
        WHERE o.QUARANTINE_TABLE = 'QUARANTINE.ORDERS' AND o._ROW_KEY = QUARANTINE.ORDERS._ROW_KEY
    );

DELETE FROM QUARANTINE.ORDER_LINES
WHERE _ROW_KEY IN (
        SELECT _ROW_KEY FROM OPS.QUARANTINE_SIGHTINGS_HISTORY
        WHERE _SUPERSEDED_BY = %(batch_id)s AND QUARANTINE_TABLE = 'QUARANTINE.ORDER_LINES'
    )
  AND NOT EXISTS (
        SELECT 1 FROM OPS.QUARANTINE_SIGHTINGS AS o
        WHERE o.QUARANTINE_TABLE = 'QUARANTINE.ORDER_LINES' AND o._ROW_KEY = QUARANTINE.ORDER_LINES._ROW_KEY
    );
