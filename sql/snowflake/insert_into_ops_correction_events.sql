-- One step of a correction (REQUESTED, APPROVED, REJECTED, APPLIED, APPLIED_GATE_HELD, APPLY_FAILED, VERIFIED,
-- VERIFY_FAILED); append-only.
INSERT INTO OPS.CORRECTION_EVENTS (CORRECTION_ID, EVENT, ACTOR, EVENT_AT, DETAILS)
VALUES (%(correction_id)s, %(event)s, %(actor)s, %(event_at)s, %(details)s);
