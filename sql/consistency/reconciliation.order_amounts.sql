-- reconciliation.order_amounts: orders compared, and those whose payments differ, by reason code in $reasons'
-- order (a payment without an order is listed but is reconciliation.payment_without_order's to count).
WITH reasons AS (SELECT reason, count(*) AS n FROM out_order_findings GROUP BY reason),
measured AS (
    SELECT (SELECT count(*) FROM order_amounts WHERE reconciliation <> 'not_compared') AS rows_checked,
           coalesce(sum(n) FILTER (WHERE reason <> 'payment_without_order'), 0) AS rows_failed,
           string_agg(format('{} {}', n, reason), ', ' ORDER BY list_position($reasons, reason))
               FILTER (WHERE list_contains($reasons, reason)) AS detail
    FROM reasons
)
SELECT rows_checked, rows_failed,
       format('{} of {} orders differ: {}', rows_failed, rows_checked, coalesce(detail, 'none')) AS actual
FROM measured
