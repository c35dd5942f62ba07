-- A backfill ended: how its windows ended (a killed one stops its heartbeat: the next backfill of its source
-- records it INTERRUPTED; its rerun is a new backfill).
UPDATE OPS.BACKFILLS
SET WINDOWS_COMMITTED = %(committed)s, WINDOWS_SKIPPED = %(skipped)s, WINDOWS_HELD = %(held)s,
    WINDOWS_FAILED = %(failed)s, ROWS_PUBLISHED = %(rows_published)s, STATUS = %(status)s,
    FINISHED_AT = %(finished_at)s
WHERE BACKFILL_ID = %(backfill_id)s;
