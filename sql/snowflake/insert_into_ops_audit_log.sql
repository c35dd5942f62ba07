-- One audit entry, appended at the chain's head (the caller holds the audit lock).
INSERT INTO OPS.AUDIT_LOG (SEQ, ENTRY_ID, RECORDED_AT, KIND, ACTOR, SUBJECT, DETAILS, PREV_HASH, HASH)
VALUES (%(seq)s, %(entry_id)s, %(recorded_at)s, %(kind)s, %(actor)s, %(subject)s, %(details)s, %(prev_hash)s, %(hash)s);
