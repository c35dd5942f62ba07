-- The audit log in append order (northstar/audit.py verifies its hash chain).
SELECT SEQ, ENTRY_ID, RECORDED_AT, KIND, ACTOR, SUBJECT, DETAILS, PREV_HASH, HASH
FROM OPS.AUDIT_LOG
ORDER BY SEQ;
