-- duplicates.payment_intent_two_orders: payment intents linked this run, and orders sharing one with an earlier order.
SELECT rows_checked, rows_failed,
       format('{} orders share a payment intent with an earlier-linked order', rows_failed) AS actual
FROM (
    SELECT (SELECT count(DISTINCT payment_intent_id) FROM new_links) AS rows_checked, count(*) AS rows_failed
    FROM out_duplicates
    WHERE rule_id = $check_id
)
