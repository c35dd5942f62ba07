-- What this batch did, for its ledger row (run in its transaction, after its loads):
--   N                rows of CORE.PAYMENTS, CORE.REFUNDS and CORE.DISPUTES whose current state it published;
--   ALREADY_CURRENT  passed events another batch had already loaded into RAW.STRIPE_EVENTS (a recovery batch
--                    re-reading landed events; the staged events include the quarantined ones, left out here);
--   REQUARANTINED    quarantined events another batch had already quarantined (still one row each).
SELECT (SELECT COUNT(*) FROM CORE.PAYMENTS WHERE _BATCH_ID = %(batch_id)s)
     + (SELECT COUNT(*) FROM CORE.REFUNDS WHERE _BATCH_ID = %(batch_id)s)
     + (SELECT COUNT(*) FROM CORE.DISPUTES WHERE _BATCH_ID = %(batch_id)s) AS N,
    (
        SELECT COUNT(*)
        FROM OPS.STAGE_STRIPE_EVENTS AS s
        JOIN RAW.STRIPE_EVENTS AS r ON r.EVENT_ID = s.EVENT_ID
        WHERE r._BATCH_ID <> %(batch_id)s
            AND NOT EXISTS (SELECT 1 FROM OPS.STAGE_STRIPE_QUARANTINE AS q WHERE q.LANDING_KEY = s.LANDING_KEY)
    ) AS ALREADY_CURRENT,
    (
        SELECT COUNT(*)
        FROM OPS.QUARANTINE_SIGHTINGS AS q
        WHERE q.QUARANTINE_TABLE = 'QUARANTINE.STRIPE_EVENTS' AND q.BATCH_ID = %(batch_id)s
            AND EXISTS (
                SELECT 1 FROM OPS.QUARANTINE_SIGHTINGS AS o
                WHERE o.QUARANTINE_TABLE = q.QUARANTINE_TABLE AND o._ROW_KEY = q._ROW_KEY AND o.BATCH_ID <> q.BATCH_ID
            )
    ) AS REQUARANTINED;
