-- The rows a history check reads: its `batch`.
WITH {ctes}
SELECT COUNT(*) AS rows_checked FROM batch
