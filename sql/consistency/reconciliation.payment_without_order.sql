-- reconciliation.payment_without_order: captured payments checked (new ones, and those found without an order).
SELECT rows_checked, rows_failed, format('{} captured payments without an order', rows_failed) AS actual
FROM (
    SELECT (SELECT count(*) FROM new_payments) + count(*) AS rows_checked, count(*) AS rows_failed
    FROM out_order_findings
    WHERE reason = 'payment_without_order'
)
