-- Take a batch's lease (inside the 'leases' lock, after checking no live lease of another owner exists).
DELETE FROM OPS.BATCH_LEASES WHERE BATCH_ID = %(batch_id)s;

INSERT INTO OPS.BATCH_LEASES (BATCH_ID, SOURCE, OWNER, LINEAGE_RUN_ID, ACQUIRED_AT, HEARTBEAT_AT, EXPIRES_AT)
VALUES (%(batch_id)s, %(source)s, %(owner)s, %(lineage_run_id)s, %(now)s, %(now)s, %(expires_at)s);
