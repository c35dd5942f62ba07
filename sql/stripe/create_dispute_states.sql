-- The newest state of each dispute within this batch, and every dispute event as its status history.
CREATE OR REPLACE TABLE dispute_history AS
SELECT object_id AS dispute_id, status, reason, amount, currency, event_id, event_type, event_created, precedence,
       charge_id, payment_intent_id, object_created AS created_at, evidence_due_by
FROM events
WHERE object_kind = 'dispute';

CREATE OR REPLACE TABLE dispute_states AS
SELECT * EXCLUDE (event_type)
FROM dispute_history
QUALIFY row_number() OVER (PARTITION BY dispute_id ORDER BY event_created DESC, precedence DESC, event_id DESC) = 1
