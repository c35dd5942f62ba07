-- Counted, not quarantined: an order reference (metadata.order_id, or a checkout session's client_reference_id)
-- that is not an order id (a positive integer written as text), e.g. a cart id or a UUID. The event is mapped;
-- its payment is unlinked (no order), counted in revenue, and found by reconciliation as payment_without_order.
SELECT b._row_id
FROM batch AS b
SEMI JOIN stripe_event_types AS t USING (event_type)
WHERE b.payload_parsed
  AND b.order_reference IS NOT NULL
  AND b.order_id IS NULL
