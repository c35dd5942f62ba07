-- The batch's passed events of handled types, each event once (a repeated delivery keeps its first copy),
-- with its object kind and same-second precedence from stripe_event_types. Only event ids seen more than
-- once in the batch (repeated_keys, built by the router) can have later copies to drop.
CREATE OR REPLACE TABLE events AS
SELECT r.* EXCLUDE (_payload), t.object_kind, t.precedence
FROM raw_batch AS r
JOIN stripe_event_types AS t USING (event_type)
SEMI JOIN passed AS p ON p._row_id = r._row_id
ANTI JOIN (
    SELECT _row_id
    FROM (
        SELECT _row_id, row_number() OVER (PARTITION BY event_id ORDER BY _row_id) AS copy_no
        FROM passed SEMI JOIN repeated_keys ON passed.event_id = repeated_keys.key
    )
    WHERE copy_no > 1
) AS later_copies ON later_copies._row_id = r._row_id
