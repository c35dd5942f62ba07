-- Record one resolution of a held batch.
INSERT INTO OPS.BATCH_RESOLUTIONS (BATCH_ID, ACTION, RESOLVED_BY, REASON, HELD_REASON, SUPERSEDED_TO, CODE_VERSION,
                                   RESOLVED_AT)
VALUES (%(batch_id)s, %(action)s, %(resolved_by)s, %(reason)s, %(held_reason)s, %(superseded_to)s, %(code_version)s,
        %(resolved_at)s);
