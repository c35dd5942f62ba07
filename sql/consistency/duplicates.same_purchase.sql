-- duplicates.same_purchase: new orders checked, and the candidate pairs found (out_duplicates).
SELECT rows_checked, rows_failed, format('{} candidate pairs', rows_failed) AS actual
FROM (
    SELECT (SELECT count(*) FROM new_orders) AS rows_checked, count(*) AS rows_failed
    FROM out_duplicates
    WHERE rule_id = $check_id
)
