SELECT check_id, count(DISTINCT _row_id) AS rows_failed FROM failures GROUP BY check_id
