-- One row per payment intent is assembled in the warehouse from three facets, each with its own state
-- (event created, precedence, event id), so that an event about one part never blanks another:
--   payment_intent: the intent's status and amounts (payment_intent.* events);
--   charge:         its charge's status, amount captured and refunded (charge.* events; the charge carried
--                   in a payment intent event ranks 0);
--   order_link:     its order, from every object Stripe carries it on (link_rank, higher wins, then the
--                   newest state of that object): 3 the payment intent's metadata.order_id ('metadata'),
--                   2 a completed checkout session's client_reference_id or metadata.order_id ('checkout_session'),
--                   1 the charge's metadata.order_id ('charge_metadata'). A reference that is not an order id
--                   links nothing (see create_raw_batch.sql): the payment stays unlinked.
-- Here: the newest state of each facet within this batch; the load keeps it only when it wins
-- (sql/snowflake/merge_into_core_payments.sql, which also decides the captured amount from two facets).
CREATE OR REPLACE TEMP MACRO link_rank(source) AS
    CASE source WHEN 'metadata' THEN 3 WHEN 'checkout_session' THEN 2 WHEN 'charge_metadata' THEN 1 ELSE 0 END;

CREATE OR REPLACE TABLE payment_states AS
WITH embedded_charges AS (
    SELECT e.*, from_json(e._embedded_charge, '{
        "id": "VARCHAR", "status": "VARCHAR", "amount": "JSON", "amount_captured": "JSON",
        "amount_refunded": "JSON", "captured": "BOOLEAN", "currency": "VARCHAR"
    }') AS c
    FROM events AS e
    WHERE e.object_kind = 'payment_intent' AND e._embedded_charge IS NOT NULL
),
facets AS (
    SELECT payment_intent_id, 'payment_intent' AS facet, event_id, event_created, precedence,
           status, amount, amount_capturable, amount_received, currency, customer_id,
           object_created AS created_at, canceled_at, reason AS cancellation_reason, charge_id AS latest_charge_id
    FROM events
    WHERE object_kind = 'payment_intent'
    UNION ALL BY NAME
    SELECT payment_intent_id, 'charge' AS facet, event_id, event_created, precedence, currency,
           charge_id, status AS charge_status, amount_refunded, object_created AS created_at,
           coalesce(amount_captured, CASE WHEN captured THEN amount ELSE 0 END) AS amount_captured
    FROM events
    WHERE object_kind = 'charge' AND payment_intent_id IS NOT NULL
    UNION ALL BY NAME
    SELECT payment_intent_id, 'charge' AS facet, event_id, event_created, 0 AS precedence, currency,
           c.id AS charge_id, c.status AS charge_status, minor_units(c.amount_refunded) AS amount_refunded,
           coalesce(minor_units(c.amount_captured), CASE WHEN c.captured THEN minor_units(c.amount) ELSE 0 END)
               AS amount_captured
    FROM embedded_charges
    WHERE c.id IS NOT NULL
    UNION ALL BY NAME
    SELECT payment_intent_id, 'order_link' AS facet, event_id, event_created, precedence,
           CAST(order_id AS BIGINT) AS order_id,
           CASE object_kind WHEN 'checkout_session' THEN 'checkout_session' WHEN 'charge' THEN 'charge_metadata'
                ELSE 'metadata' END AS order_link_source
    FROM events
    WHERE object_kind IN ('payment_intent', 'checkout_session', 'charge') AND order_id IS NOT NULL
)
SELECT *
FROM facets
WHERE payment_intent_id IS NOT NULL
QUALIFY row_number() OVER (
    PARTITION BY payment_intent_id, facet
    ORDER BY link_rank(order_link_source) DESC, event_created DESC, precedence DESC, event_id DESC
) = 1
