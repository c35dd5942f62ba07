-- The envelope is a JSON object and its body (the event Stripe sent) is one too.
SELECT _row_id FROM batch WHERE NOT payload_parsed
