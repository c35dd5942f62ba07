-- Not a check: lines per file after routing (row_reasons holds the quarantined rows).
SELECT b.source_file, count(*) AS lines_total, count(r._row_id) AS lines_quarantined
FROM raw_batch AS b
LEFT JOIN row_reasons AS r USING (_row_id)
GROUP BY b.source_file
