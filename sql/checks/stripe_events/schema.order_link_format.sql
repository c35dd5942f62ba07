-- An order link (metadata.order_id, or a checkout session's client_reference_id) is an order id: a
-- positive integer written as text.
SELECT b._row_id
FROM batch AS b
SEMI JOIN stripe_event_types AS t USING (event_type)
WHERE b.payload_parsed
  AND b.order_id IS NOT NULL
  AND NOT regexp_full_match(b.order_id, '[1-9][0-9]{0,17}')
