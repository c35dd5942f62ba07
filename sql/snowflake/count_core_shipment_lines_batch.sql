-- What this batch did, for its ledger row (run in its transaction, after its loads):
--   N                shipment lines it published;
--   ALREADY_CURRENT  passed lines whose key another batch had already published from the same file;
--   REQUARANTINED    quarantined lines another batch had already quarantined (still one row each).
SELECT
    (SELECT COUNT(*) FROM CORE.SHIPMENT_LINES WHERE _BATCH_ID = %(batch_id)s) AS N,
    (
        SELECT COUNT(*)
        FROM OPS.STAGE_WMS_LINES AS s
        JOIN CORE.SHIPMENT_LINES AS c ON c.SHIPMENT_ID = s.SHIPMENT_ID AND c.LINE_NO = s.LINE_NO
        WHERE c._BATCH_ID <> %(batch_id)s
    ) AS ALREADY_CURRENT,
    (
        SELECT COUNT(*)
        FROM OPS.QUARANTINE_SIGHTINGS AS q
        WHERE q.QUARANTINE_TABLE = 'QUARANTINE.WMS_LINES' AND q.BATCH_ID = %(batch_id)s
            AND EXISTS (
                SELECT 1 FROM OPS.QUARANTINE_SIGHTINGS AS o
                WHERE o.QUARANTINE_TABLE = q.QUARANTINE_TABLE AND o._ROW_KEY = q._ROW_KEY AND o.BATCH_ID <> q.BATCH_ID
            )
    ) AS REQUARANTINED;
