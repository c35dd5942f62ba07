-- A handled event must name its object (data.object.id); an unhandled one may carry an object without id.
SELECT _row_id
FROM batch
WHERE payload_parsed
  AND coalesce(object_id, '') = ''
  AND event_type IN (SELECT event_type FROM stripe_event_types)
