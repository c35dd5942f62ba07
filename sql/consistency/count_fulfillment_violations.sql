-- A fulfillment rule's result: the orders compared (touched, and those turning N days old), and its violations.
SELECT rows_checked, rows_failed, format('{} orders violate', rows_failed) AS actual
FROM (
    SELECT (SELECT count(*) FROM (SELECT order_id FROM order_fulfillment UNION SELECT order_id FROM aging_short_lines))
               AS rows_checked,
           count(*) AS rows_failed
    FROM out_violations
    WHERE rule_id = $check_id
)
