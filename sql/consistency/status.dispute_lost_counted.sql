-- Disputed and lost but still counted as revenue: the money went back, the order still counts as sold.
SELECT o.order_id, to_json({status: o.status, disputes: list({dispute_id: d.dispute_id, amount: d.amount,
                                                              currency: d.currency})})::VARCHAR AS evidence
FROM disputes AS d
JOIN payments AS p ON p.payment_intent_id = d.payment_intent_id
JOIN order_amounts AS o ON o.order_id = p.order_id
WHERE d.status = 'lost' AND o.status IN ('paid', 'shipped', 'delivered')
GROUP BY o.order_id, o.status
