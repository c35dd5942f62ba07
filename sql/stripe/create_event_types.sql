-- The Stripe event types the pipeline maps, the object kind each one's data.object is, and its precedence.
-- State is decided by the objects' own ordering, never by arrival: of two events about one object the one
-- with the greater (event created, precedence, event id) holds the state. Stripe's `created` has one-second
-- resolution, so precedence orders the events of the same second along each object's lifecycle; the event
-- id only breaks the remaining ties deterministically. Any other type is kept raw and counted unhandled.
--
-- | object kind     | event types, by precedence (same second: the higher number wins)                      |
-- |-----------------|---------------------------------------------------------------------------------------|
-- | payment_intent  | 1 created < 2 requires_action < 3 processing < 4 amount_capturable_updated            |
-- |                 |   < 5 payment_failed < 6 succeeded | 6 canceled  (terminal; failed can still be retried) |
-- | charge          | 1 succeeded | 1 failed < 2 captured < 3 updated < 4 refunded                          |
-- | refund          | 1 refund.created < 2 refund.updated | 2 charge.refund.updated < 3 refund.failed        |
-- | dispute         | 1 created < 2 updated < 3 funds_withdrawn < 4 funds_reinstated < 5 closed             |
-- | checkout_session| 1 checkout.session.completed (an order link for its payment intent)                   |
--
-- Snapshots carried inside another object's event rank 0, below every event about the object itself in
-- the same second: the charge inside a payment intent event (2019 `charges.data[0]`, or an expanded
-- `latest_charge`), and the refunds inside a charge event (2019 `refunds.data`).
CREATE OR REPLACE TABLE stripe_event_types AS
SELECT *
FROM (
    VALUES
        ('payment_intent.created', 'payment_intent', 1),
        ('payment_intent.requires_action', 'payment_intent', 2),
        ('payment_intent.processing', 'payment_intent', 3),
        ('payment_intent.amount_capturable_updated', 'payment_intent', 4),
        ('payment_intent.payment_failed', 'payment_intent', 5),
        ('payment_intent.succeeded', 'payment_intent', 6),
        ('payment_intent.canceled', 'payment_intent', 6),
        ('charge.succeeded', 'charge', 1),
        ('charge.failed', 'charge', 1),
        ('charge.captured', 'charge', 2),
        ('charge.updated', 'charge', 3),
        ('charge.refunded', 'charge', 4),
        ('refund.created', 'refund', 1),
        ('refund.updated', 'refund', 2),
        ('charge.refund.updated', 'refund', 2),
        ('refund.failed', 'refund', 3),
        ('charge.dispute.created', 'dispute', 1),
        ('charge.dispute.updated', 'dispute', 2),
        ('charge.dispute.funds_withdrawn', 'dispute', 3),
        ('charge.dispute.funds_reinstated', 'dispute', 4),
        ('charge.dispute.closed', 'dispute', 5),
        ('checkout.session.completed', 'checkout_session', 1)
) AS t (event_type, object_kind, precedence)
