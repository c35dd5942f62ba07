-- Counted, not quarantined: a type the pipeline does not map is kept raw (RAW.STRIPE_EVENTS) only.
SELECT _row_id
FROM batch
WHERE payload_parsed
  AND coalesce(event_type, '') <> ''
  AND event_type NOT IN (SELECT event_type FROM stripe_event_types)
