-- The newest state of each refund within this batch: refund.* and charge.refund.updated events carry the
-- refund itself; a 2019-era charge event lists its refunds (refunds.data), a snapshot that ranks 0.
CREATE OR REPLACE TABLE refund_states AS
WITH listed AS (
    SELECT e.event_id, e.event_created, e.charge_id, e.payment_intent_id, unnest(from_json(e._embedded_refunds, '[{
        "id": "VARCHAR", "amount": "JSON", "currency": "VARCHAR", "status": "VARCHAR", "reason": "VARCHAR",
        "failure_reason": "VARCHAR", "created": "BIGINT", "charge": "JSON", "payment_intent": "JSON"
    }]')) AS r
    FROM events AS e
    WHERE e.object_kind = 'charge' AND json_type(e._embedded_refunds) = 'ARRAY'
),
states AS (
    SELECT object_id AS refund_id, charge_id, payment_intent_id, amount, currency, status, reason, failure_reason,
           object_created AS created_at, event_id, event_created, precedence
    FROM events
    WHERE object_kind = 'refund'
    UNION ALL BY NAME
    SELECT r.id AS refund_id, coalesce(stripe_ref(r.charge), charge_id) AS charge_id,
           coalesce(stripe_ref(r.payment_intent), payment_intent_id) AS payment_intent_id,
           minor_units(r.amount) AS amount, upper(r.currency) AS currency, r.status, r.reason, r.failure_reason,
           unix_utc(r.created) AS created_at, event_id, event_created, 0 AS precedence
    FROM listed
)
SELECT *
FROM states
WHERE refund_id IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY refund_id ORDER BY event_created DESC, precedence DESC, event_id DESC) = 1
