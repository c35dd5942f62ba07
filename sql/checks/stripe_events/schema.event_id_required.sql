SELECT _row_id FROM batch WHERE payload_parsed AND coalesce(event_id, '') = ''
