-- Every copy after the first of an event delivered more than once (absorbed: the load is keyed by event id).
SELECT _row_id
FROM (
    SELECT _row_id, row_number() OVER (PARTITION BY event_id ORDER BY _row_id) AS copy_no
    FROM batch SEMI JOIN repeated_keys ON batch.event_id = repeated_keys.key
)
WHERE copy_no > 1
