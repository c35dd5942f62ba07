-- referential.order_missing: the references of one kind ($ref_kind) judged this run, and those orphaned.
SELECT count(*) AS rows_checked,
       count(*) FILTER (WHERE state = 'orphaned') AS rows_failed,
       format('{} orphaned (quarantined) of {} references judged', rows_failed, rows_checked) AS actual
FROM reference_states
WHERE ref_kind = $ref_kind
