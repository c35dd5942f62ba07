-- Stripe sends lower-case codes; the mapping upper-cases them. A payment intent, charge, refund or dispute
-- must carry one; a checkout session may not (setup mode), but any code it carries must be valid.
SELECT b._row_id
FROM batch AS b
JOIN stripe_event_types AS t USING (event_type)
WHERE b.payload_parsed
  AND (
      (t.object_kind <> 'checkout_session' AND b.currency IS NULL)
      OR b.currency NOT IN (SELECT unnest($iso_currencies))
  )
