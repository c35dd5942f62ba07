-- The batch's load files, one Parquet file per staging table (columns named as in sql/snowflake/
-- create_stage_stripe.sql). $folder is the batch's work folder (a path from code); $path the landed file.
-- The files carrying event payloads are written in row groups of at most 32 MB: DuckDB's default of 122,880
-- rows buffers ~250 MB of payload text per row group and writer thread (peak RSS +1 GB on a 1 GB batch).
-- Each event id once (its first copy). Only ids in repeated_keys (built by the router) can have later
-- copies, so only their rows are ranked: a window over every row would hold every payload in memory.
COPY (
    SELECT event_id, event_type, event_created, api_version, object_type, object_id,
           event_type IN (SELECT event_type FROM stripe_event_types) AS handled,
           _payload AS payload, _landing_key AS landing_key, _written_at AS written_at,
           _received_at AS received_at, _delivery AS delivery, _signature_at AS signature_at
    FROM raw_batch AS r
    ANTI JOIN (
        SELECT _row_id
        FROM (
            SELECT _row_id, row_number() OVER (PARTITION BY event_id ORDER BY _row_id) AS copy_no
            FROM raw_batch SEMI JOIN repeated_keys ON raw_batch.event_id = repeated_keys.key
            WHERE payload_parsed AND coalesce(event_id, '') <> ''
        )
        WHERE copy_no > 1
    ) AS later_copies ON later_copies._row_id = r._row_id
    WHERE payload_parsed AND coalesce(event_id, '') <> ''
) TO '$folder/stripe_events.parquet' (FORMAT parquet, ROW_GROUP_SIZE_BYTES '32MB');

COPY (
    SELECT q._row_id AS _source_row, to_json(q.reasons) AS reasons, r.event_id, r.event_type, r.object_id,
           r._landing_key AS landing_key, r._written_at AS written_at, l.envelope AS raw_envelope,
           r._payload AS payload
    FROM quarantined AS q
    JOIN raw_batch AS r USING (_row_id)
    JOIN read_parquet($path, file_row_number = true) AS l ON l.file_row_number = q._row_id
) TO '$folder/stripe_quarantined.parquet' (FORMAT parquet, ROW_GROUP_SIZE_BYTES '32MB');

COPY (
    SELECT p.*, coalesce(d.decimals, 2) AS amount_decimals
    FROM payment_states AS p
    LEFT JOIN stripe_currency_decimals AS d USING (currency)
) TO '$folder/payments.parquet' (FORMAT parquet);

COPY (
    SELECT r.*, coalesce(d.decimals, 2) AS amount_decimals
    FROM refund_states AS r
    LEFT JOIN stripe_currency_decimals AS d USING (currency)
) TO '$folder/refunds.parquet' (FORMAT parquet);

COPY (
    SELECT s.*, coalesce(d.decimals, 2) AS amount_decimals
    FROM dispute_states AS s
    LEFT JOIN stripe_currency_decimals AS d USING (currency)
) TO '$folder/disputes.parquet' (FORMAT parquet);

COPY (
    SELECT c.*, coalesce(d.decimals, 2) AS amount_decimals
    FROM charge_refunded AS c
    LEFT JOIN stripe_currency_decimals AS d USING (currency)
) TO '$folder/charge_refunded.parquet' (FORMAT parquet);

COPY (
    SELECT dispute_id, status, event_id, event_type, event_created FROM dispute_history
) TO '$folder/dispute_history.parquet' (FORMAT parquet)
