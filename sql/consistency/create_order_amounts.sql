-- Each touched order against its payments: the order total against captured minus refunded (exact, in minor
-- units), with a reason code. Statuses paid, shipped and delivered expect the total; cancelled and refunded
-- expect nothing kept; a pending order is not compared (its payment may be in flight).
CREATE OR REPLACE TABLE order_amounts AS
WITH paid AS (
    SELECT p.order_id, sum(coalesce(p.amount_captured, 0)) AS captured, count(*) AS payments,
           count(*) FILTER (WHERE p.currency IS DISTINCT FROM o.currency AND coalesce(p.amount_captured, 0) > 0)
               AS foreign_payments,
           list(p.payment_intent_id ORDER BY p.payment_intent_id) AS intents
    FROM payments AS p
    JOIN orders AS o ON o.order_id = p.order_id
    GROUP BY p.order_id
),
refunded AS (
    SELECT p.order_id, sum(r.amount) AS refunded,
           count(*) FILTER (WHERE r.currency IS DISTINCT FROM o.currency) AS foreign_refunds
    FROM refunds AS r
    JOIN payments AS p ON p.payment_intent_id = r.payment_intent_id
    JOIN orders AS o ON o.order_id = p.order_id
    WHERE r.status = 'succeeded'
    GROUP BY p.order_id
),
shipped AS (
    SELECT order_id, sum(quantity) AS shipped_quantity, count(*) AS lines FROM shipment_lines GROUP BY order_id
),
amounts AS (
    SELECT o.*,
           coalesce(paid.captured, 0) AS captured, coalesce(refunded.refunded, 0) AS refunded,
           coalesce(paid.payments, 0) AS payments, coalesce(paid.intents, []) AS intents,
           coalesce(paid.foreign_payments, 0) + coalesce(refunded.foreign_refunds, 0) AS foreign_amounts,
           coalesce(shipped.shipped_quantity, 0) AS shipped_quantity, coalesce(shipped.lines, 0) AS shipment_lines,
           CASE WHEN o.status IN ('paid', 'shipped', 'delivered') THEN o.total_amount_minor
                WHEN o.status IN ('cancelled', 'refunded') THEN 0 END AS expected
    FROM orders AS o
    LEFT JOIN paid USING (order_id)
    LEFT JOIN refunded USING (order_id)
    LEFT JOIN shipped USING (order_id)
)
SELECT *,
       CASE
           WHEN expected IS NULL THEN 'not_compared'
           WHEN foreign_amounts > 0 THEN 'currency_mismatch'
           WHEN captured - refunded = expected THEN 'matched'
           WHEN captured = 0 THEN 'unpaid'
           WHEN refunded > 0 AND (captured - refunded < expected OR expected = 0) THEN 'partially_refunded'
           WHEN captured - refunded > expected THEN 'overpaid'
           ELSE 'underpaid'
       END AS reconciliation
FROM amounts;

-- Findings for OPS.ORDER_RECONCILIATION: orders that differ, and captured payments without any order (no order
-- id at all, or one whose order never arrived within the grace period).
CREATE OR REPLACE TABLE out_order_findings AS
SELECT order_id, NULL::VARCHAR AS payment_intent_id, reconciliation AS reason, status AS order_status, currency,
       expected AS expected_minor, captured AS captured_minor, refunded AS refunded_minor,
       to_json({total_amount_minor: total_amount_minor, net_minor: captured - refunded, payments: intents,
                foreign_currency_amounts: foreign_amounts})::VARCHAR AS evidence
FROM order_amounts
WHERE reconciliation NOT IN ('matched', 'not_compared')
UNION ALL
SELECT NULL, p.payment_intent_id, 'payment_without_order', NULL, p.currency, 0, p.amount_captured, 0,
       to_json({source_batch_id: p._batch_id, why: 'no order id'})::VARCHAR
FROM new_payments AS p
WHERE p.order_id IS NULL AND coalesce(p.amount_captured, 0) > 0
UNION ALL
SELECT s.order_id, s.ref_key, 'payment_without_order', NULL, p.currency, 0, p.amount_captured, 0,
       to_json({source_batch_id: s.source_batch_id, pending_since: s.pending_since,
                why: 'order never arrived'})::VARCHAR
FROM reference_states AS s
LEFT JOIN payments AS p ON p.payment_intent_id = s.ref_key
WHERE s.ref_kind = 'payment' AND s.state = 'orphaned';

-- The curated per-order mart rows (MARTS.ORDER_PAYMENTS), published only when the gate passes.
CREATE OR REPLACE TABLE out_order_payments AS
SELECT order_id, customer_id, status, currency, total_amount_minor, captured AS captured_minor,
       refunded AS refunded_minor, payments, shipped_quantity, reconciliation, created_at,
       CAST(timezone($tz, created_at AT TIME ZONE 'UTC') AS DATE) AS business_date
FROM order_amounts;
