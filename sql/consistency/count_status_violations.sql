-- A status rule's result: the touched orders (and the paid orders turning N days old), and its violations.
SELECT rows_checked, rows_failed, format('{} orders violate', rows_failed) AS actual
FROM (
    SELECT (SELECT count(*) FROM (SELECT order_id FROM orders UNION SELECT order_id FROM aging_orders))
               AS rows_checked,
           count(*) AS rows_failed
    FROM out_violations
    WHERE rule_id = $check_id
)
