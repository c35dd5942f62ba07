-- A new backfill of a source finds the source's backfills whose process is gone (RUNNING, no heartbeat since
-- %(stale_before)s: killed, or its host lost) and records them INTERRUPTED, finished at their last heartbeat.
UPDATE OPS.BACKFILLS
SET STATUS = 'INTERRUPTED', FINISHED_AT = COALESCE(HEARTBEAT_AT, STARTED_AT)
WHERE SOURCE = %(source)s AND STATUS = 'RUNNING' AND COALESCE(HEARTBEAT_AT, STARTED_AT) < %(stale_before)s;
