-- What this batch did, for its ledger row (run in its transaction, after its loads):
--   N                orders whose current version it published;
--   ALREADY_CURRENT  passed rows that changed nothing, another batch having published that version or a newer
--                    one (a window run after a later one, or the overlap re-reading what the last batch read);
--   REQUARANTINED    quarantined rows another batch had already quarantined (still one row each).
SELECT
    (SELECT COUNT(*) FROM CORE.ORDERS WHERE _BATCH_ID = %(batch_id)s) AS N,
    (
        SELECT COUNT(*)
        FROM OPS.STAGE_ORDERS AS s
        JOIN CORE.ORDERS AS c ON c.ORDER_ID = s.ORDER_ID
        WHERE c._BATCH_ID <> %(batch_id)s
    ) AS ALREADY_CURRENT,
    (
        SELECT COUNT(*)
        FROM OPS.QUARANTINE_SIGHTINGS AS q
        WHERE q.QUARANTINE_TABLE = 'QUARANTINE.ORDERS' AND q.BATCH_ID = %(batch_id)s
            AND EXISTS (
                SELECT 1 FROM OPS.QUARANTINE_SIGHTINGS AS o
                WHERE o.QUARANTINE_TABLE = q.QUARANTINE_TABLE AND o._ROW_KEY = q._ROW_KEY AND o.BATCH_ID <> q.BATCH_ID
            )
    ) AS REQUARANTINED;
