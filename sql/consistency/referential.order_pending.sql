-- referential.order_pending (counted): the references of one kind ($ref_kind) still waiting for their order.
SELECT count(*) AS rows_checked,
       count(*) FILTER (WHERE state IN ('pending', 'waiting')) AS rows_failed,
       format('{} waiting, {} released this run', rows_failed, count(*) FILTER (WHERE state = 'released')) AS actual
FROM reference_states
WHERE ref_kind = $ref_kind
