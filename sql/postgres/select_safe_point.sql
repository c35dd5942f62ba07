-- How far an extract can safely read: no transaction still open on this database can commit a row stamped
-- (by now(), its start) before this moment. Run BEFORE the extract's snapshot is taken: a transaction open now
-- stamps at or after its xact_start; one that commits before the snapshot is in it; one that starts later
-- stamps after clock_timestamp(). Prepared (two-phase) transactions count by the time they were prepared.
-- hidden_backends counts sessions on this database whose start this role may not see (it needs
-- pg_read_all_stats): the caller refuses to guess.
SELECT
    LEAST(
        clock_timestamp(),
        (SELECT min(a.xact_start)
           FROM pg_stat_activity AS a
          WHERE a.datname = current_database()
            AND a.pid <> pg_backend_pid()
            AND a.backend_type IN ('client backend', 'background worker')),
        (SELECT min(p.prepared) FROM pg_prepared_xacts AS p WHERE p.database = current_database())
    ) AS safe_until,
    pg_snapshot_xmin(pg_current_snapshot())::text AS snapshot_xmin,
    (SELECT count(*)
       FROM pg_stat_activity AS a
      WHERE a.datname = current_database()
        AND a.pid <> pg_backend_pid()
        AND a.query = '<insufficient privilege>') AS hidden_backends
