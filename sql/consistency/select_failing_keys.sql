-- Every cross-system check's failing keys, over the tables its family built: check_id, scope (the reference kind of
-- the referential checks, else NULL) and the key as text: the order id (payment intent of a payment without an
-- order, the report of an unreadable finance file, "<day> <currency>" of a day off finance's, the day of a
-- duplicate rate over the SLA). Read by the full-history audit (validators/history_consistency.py) and its test.
SELECT 'referential.order_missing' AS check_id, ref_kind AS scope, CAST(order_id AS VARCHAR) AS failing_key
FROM reference_states WHERE state = 'orphaned'
UNION ALL
SELECT 'referential.order_pending', ref_kind, CAST(order_id AS VARCHAR)
FROM reference_states WHERE state IN ('pending', 'waiting')
UNION ALL
SELECT 'reconciliation.order_amounts', NULL, CAST(order_id AS VARCHAR)
FROM out_order_findings WHERE reason <> 'payment_without_order'
UNION ALL
SELECT 'reconciliation.payment_without_order', NULL, payment_intent_id
FROM out_order_findings WHERE reason = 'payment_without_order'
UNION ALL
SELECT 'reconciliation.finance_report_readable', NULL, source_file FROM finance_unreadable
UNION ALL
SELECT 'reconciliation.daily_revenue', NULL, CAST(business_date AS VARCHAR) || ' ' || currency
FROM out_daily WHERE NOT within_sla
UNION ALL
SELECT 'duplicates.order_id_across_batches', NULL, CAST(n.order_id AS VARCHAR)
FROM new_orders AS n JOIN inputs AS i ON i.batch_id = n._batch_id WHERE n.created_at < i.watermark_low
UNION ALL
SELECT rule_id, NULL, CAST(order_id AS VARCHAR) FROM out_duplicates
UNION ALL
SELECT 'duplicates.daily_rate', NULL, CAST(business_date AS VARCHAR)
FROM duplicate_rates WHERE rate >= $max_duplicate_rate
UNION ALL
SELECT rule_id, NULL, CAST(order_id AS VARCHAR) FROM out_violations
