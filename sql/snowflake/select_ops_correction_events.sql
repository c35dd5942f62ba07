-- Correction events in order; %(correction_id)s NULL for every correction's.
SELECT CORRECTION_ID, EVENT, ACTOR, EVENT_AT, DETAILS
FROM OPS.CORRECTION_EVENTS
WHERE %(correction_id)s IS NULL OR CORRECTION_ID = %(correction_id)s
ORDER BY EVENT_AT, EVENT;
