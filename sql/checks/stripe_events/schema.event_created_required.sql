-- Without its created time an event cannot be placed in its object's history.
SELECT _row_id FROM batch WHERE payload_parsed AND event_created IS NULL
