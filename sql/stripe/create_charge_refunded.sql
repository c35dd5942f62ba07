-- Every cumulative refunded amount a charge was seen with (amount_refunded > 0) in this batch, with the first and
-- the last event showing it: charge.* events, and the charge a payment intent event carries (2019 charges.data,
-- an expanded latest_charge). Since API version 2022-11-15 a charge.refunded event no longer lists its refunds,
-- so for a refund whose refund.* event never arrives this is all the pipeline knows: the warehouse counts the
-- part of a charge's refunded amount that no refund object covers (CORE.REFUNDS_COUNTED), each step dated by the
-- first event that showed it. Amounts are integers in the currency's minor unit, as Stripe sends them.
CREATE OR REPLACE TABLE charge_refunded AS
WITH carried AS (
    SELECT e.payment_intent_id, e.event_id, e.event_created,
           from_json(e._embedded_charge, '{"id": "VARCHAR", "currency": "VARCHAR", "amount_refunded": "JSON"}') AS c
    FROM events AS e
    WHERE e.object_kind = 'payment_intent' AND e._embedded_charge IS NOT NULL
),
seen AS (
    SELECT charge_id, payment_intent_id, currency, amount_refunded, event_id, event_created
    FROM events
    WHERE object_kind = 'charge' AND charge_id IS NOT NULL AND amount_refunded > 0
    UNION ALL
    SELECT c.id, payment_intent_id, upper(c.currency), minor_units(c.amount_refunded), event_id, event_created
    FROM carried
    WHERE c.id IS NOT NULL AND minor_units(c.amount_refunded) > 0
)
SELECT charge_id, amount_refunded, max(payment_intent_id) AS payment_intent_id, max(currency) AS currency,
       arg_min(event_id, (event_created, event_id)) AS first_event_id, min(event_created) AS first_event_created,
       arg_max(event_id, (event_created, event_id)) AS last_event_id, max(event_created) AS last_event_created
FROM seen
GROUP BY charge_id, amount_refunded
