-- Fully refunded but still completed: everything captured was refunded, the order still counts as sold.
SELECT order_id, to_json({status: status, captured_minor: captured, refunded_minor: refunded,
                          payments: intents})::VARCHAR AS evidence
FROM order_amounts
WHERE captured > 0 AND refunded >= captured AND status IN ('paid', 'shipped', 'delivered')
