-- Every amount a handled event's object carries is an integer >= 0 in the currency's minor unit, and a
-- payment intent, charge, refund or dispute carries its amount.
SELECT b._row_id
FROM batch AS b
JOIN stripe_event_types AS t USING (event_type)
WHERE b.payload_parsed
  AND (
      (t.object_kind <> 'checkout_session' AND b.amount IS NULL)
      OR len(list_filter(b.raw_amounts, lambda a: coalesce(json_type(a), 'NULL') NOT IN ('NULL', 'UBIGINT'))) > 0
  )
