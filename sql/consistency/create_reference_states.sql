-- Every reference this run judges (new payments and shipment lines naming an order, and those waiting), with
-- its state: satisfied (order known), released (was waiting, order arrived), pending (newly waiting),
-- waiting (still within the grace period) or orphaned (grace expired).
CREATE OR REPLACE TABLE reference_states AS
WITH candidates AS (
    SELECT 'payment' AS ref_kind, payment_intent_id AS ref_key, order_id, _batch_id AS source_batch_id,
           NULL::TIMESTAMP AS pending_since
    FROM new_payments
    WHERE order_id IS NOT NULL
    UNION ALL
    SELECT 'shipment_line', shipment_id || '#' || line_no, order_id, _batch_id, NULL
    FROM new_shipment_lines
    WHERE order_id IS NOT NULL
    UNION ALL
    SELECT ref_kind, ref_key, order_id, source_batch_id, pending_since
    FROM pending
),
refs AS (  -- one row per reference: the newest batch's order id, and since when it has been waiting
    SELECT ref_kind, ref_key,
           coalesce(max(order_id) FILTER (WHERE pending_since IS NULL), max(order_id)) AS order_id,
           coalesce(max(source_batch_id) FILTER (WHERE pending_since IS NULL), max(source_batch_id))
               AS source_batch_id,
           max(pending_since) AS was_pending_since
    FROM candidates
    GROUP BY ref_kind, ref_key
)
SELECT r.ref_kind, r.ref_key, r.order_id, r.source_batch_id,
       coalesce(r.was_pending_since, $as_of::TIMESTAMP) AS pending_since,
       CASE
           WHEN o.order_id IS NOT NULL AND r.was_pending_since IS NOT NULL THEN 'released'
           WHEN o.order_id IS NOT NULL THEN 'satisfied'
           WHEN epoch($as_of::TIMESTAMP) - epoch(coalesce(r.was_pending_since, $as_of::TIMESTAMP)) >= $grace_seconds
               THEN 'orphaned'
           WHEN r.was_pending_since IS NULL THEN 'pending'
           ELSE 'waiting'
       END AS state
FROM refs AS r
LEFT JOIN (SELECT DISTINCT order_id FROM orders) AS o ON o.order_id = r.order_id;

-- The transitions this run records (pending, released, orphaned), for OPS.REFERENCE_TRANSITIONS.
CREATE OR REPLACE TABLE out_transitions AS
SELECT ref_kind, ref_key, order_id, state, pending_since, $as_of::TIMESTAMP AS transition_at, source_batch_id
FROM reference_states
WHERE state IN ('pending', 'released', 'orphaned');
