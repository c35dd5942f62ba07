-- The window's landed envelopes, parsed in DuckDB into one typed row per event (`raw_batch`, the router's
-- input). Nothing here rejects a row: an envelope or body that is not a JSON object leaves the parsed
-- columns NULL and payload_parsed false, and the checks in sql/checks/stripe_events/ decide. Amounts are
-- kept exactly as Stripe sends them (integers in the currency's minor unit; zero-decimal currencies such as
-- JPY are not scaled); currency codes are upper-cased. Columns starting with _ are plumbing, not contract.
-- Each text is parsed into its fields once: try(from_json(...)) and json_object_of yield NULL for text that is
-- not JSON.
CREATE OR REPLACE TEMP MACRO stripe_ref(j) AS
    CASE json_type(j) WHEN 'VARCHAR' THEN j ->> '$' WHEN 'OBJECT' THEN j ->> 'id' END;

CREATE OR REPLACE TEMP MACRO minor_units(j) AS
    CASE WHEN json_type(j) IN ('UBIGINT', 'BIGINT') THEN j::BIGINT END;

CREATE OR REPLACE TEMP MACRO json_integer(j) AS
    CASE WHEN json_type(j) IN ('UBIGINT', 'BIGINT') THEN j::BIGINT END;

CREATE OR REPLACE TEMP MACRO unix_utc(s) AS to_timestamp(s);

-- An order id as Stripe carries it in metadata or client_reference_id: a positive integer written as text.
CREATE OR REPLACE TEMP MACRO order_id_text(t) AS coalesce(regexp_full_match(t, '[1-9][0-9]{0,17}'), false);

-- A text's fields as the struct `shape`, or NULL for text that is not JSON. json_valid (yyjson's reader
-- alone, same flags as from_json: about a fifth of from_json's cost here) keeps invalid text away from
-- from_json, because inside try() one failing row makes DuckDB evaluate its whole vector (2,048 rows) again
-- row by row: at a 0.2% fault rate that is nearly every vector, and the parse was four times slower
-- (BENCHMARKS.md, payments). try() stays as a guard; from_json does not fail on valid JSON. The envelopes are
-- written by our receiver, so an invalid one is rare and try(from_json(...)) alone is cheaper for them.
CREATE OR REPLACE TEMP MACRO json_object_of(text, shape) AS
    CASE WHEN json_valid(text) THEN try(from_json(text, shape)) END;

-- Valid JSON that is not an object is caught here, without a second parse (a JSON text starting with '{'
-- is an object); ltrim, which copies the text, only runs for text that does not start with '{'.
CREATE OR REPLACE TEMP MACRO is_object(text) AS
    starts_with(text, '{') OR starts_with(ltrim(text, E' \t\n\r'), '{');

CREATE OR REPLACE TABLE raw_batch AS
WITH landed AS (
    SELECT
        file_row_number AS _row_id,
        landing_key,
        written_at,
        envelope,
        try(from_json(envelope, '{
            "event_id": "VARCHAR", "event_type": "VARCHAR", "event_created": "BIGINT",
            "signature_timestamp": "BIGINT", "received_at": "VARCHAR", "source": "VARCHAR", "body": "VARCHAR"
        }')) AS env
    FROM read_parquet($path, file_row_number = true)
),
parsed AS (
    SELECT *, json_object_of(env.body, '{
        "id": "VARCHAR", "object": "VARCHAR", "type": "VARCHAR", "created": "JSON", "api_version": "VARCHAR",
        "data": {"object": {
            "id": "VARCHAR", "object": "VARCHAR", "status": "VARCHAR", "currency": "VARCHAR",
            "amount": "JSON", "amount_capturable": "JSON", "amount_received": "JSON",
            "amount_captured": "JSON", "amount_refunded": "JSON", "amount_total": "JSON",
            "captured": "BOOLEAN", "created": "BIGINT", "canceled_at": "BIGINT",
            "reason": "VARCHAR", "cancellation_reason": "VARCHAR", "failure_reason": "VARCHAR",
            "failure_code": "VARCHAR", "metadata": {"order_id": "VARCHAR"}, "client_reference_id": "VARCHAR",
            "customer": "JSON", "payment_intent": "JSON", "charge": "JSON", "latest_charge": "JSON",
            "charges": {"data": "JSON"}, "refunds": {"data": "JSON"}, "evidence_details": {"due_by": "BIGINT"}
        }}
    }') AS evt
    FROM landed
)
SELECT
    _row_id,
    coalesce(evt.id, env.event_id) AS event_id,
    coalesce(evt.type, env.event_type) AS event_type,
    -- a snapshot event's created is unix seconds; a thin event's (object v2.core.event) an RFC 3339 string, which
    -- the receiver converted into the envelope's event_created
    unix_utc(coalesce(json_integer(evt.created), env.event_created)) AS event_created,
    evt.api_version AS api_version,
    evt.data.object.object AS object_type,
    evt.data.object.id AS object_id,
    CASE WHEN evt.data.object.object = 'payment_intent' THEN evt.data.object.id
         ELSE stripe_ref(evt.data.object.payment_intent) END AS payment_intent_id,
    CASE evt.data.object.object
        WHEN 'charge' THEN evt.data.object.id
        WHEN 'payment_intent' THEN coalesce(
            stripe_ref(evt.data.object.latest_charge), evt.data.object.charges.data -> '$[0]' ->> 'id')
        ELSE stripe_ref(evt.data.object.charge) END AS charge_id,
    evt.data.object.status AS status,
    upper(evt.data.object.currency) AS currency,
    coalesce(minor_units(evt.data.object.amount), minor_units(evt.data.object.amount_total)) AS amount,
    minor_units(evt.data.object.amount_capturable) AS amount_capturable,
    minor_units(evt.data.object.amount_received) AS amount_received,
    minor_units(evt.data.object.amount_captured) AS amount_captured,
    minor_units(evt.data.object.amount_refunded) AS amount_refunded,
    [evt.data.object.amount, evt.data.object.amount_capturable, evt.data.object.amount_received,
     evt.data.object.amount_captured, evt.data.object.amount_refunded, evt.data.object.amount_total] AS raw_amounts,
    evt.data.object.captured AS captured,
    -- The order link this event's object carries (the precedence between objects is in create_payment_states.sql):
    -- a checkout session's client_reference_id, else its metadata.order_id; any other object's metadata.order_id.
    -- order_id is the first of those that is an order id (a positive integer written as text); order_reference
    -- the first one present, kept when it is not an order id (a cart id, a UUID): the payment is then unlinked.
    CASE WHEN order_id_text(evt.data.object.client_reference_id) AND evt.data.object.object = 'checkout.session'
             THEN evt.data.object.client_reference_id
         WHEN order_id_text(evt.data.object.metadata.order_id) THEN evt.data.object.metadata.order_id
    END AS order_id,
    CASE WHEN evt.data.object.object = 'checkout.session'
         THEN coalesce(evt.data.object.client_reference_id, evt.data.object.metadata.order_id)
         ELSE evt.data.object.metadata.order_id END AS order_reference,
    stripe_ref(evt.data.object.customer) AS customer_id,
    unix_utc(evt.data.object.created) AS object_created,
    unix_utc(evt.data.object.canceled_at) AS canceled_at,
    coalesce(evt.data.object.reason, evt.data.object.cancellation_reason) AS reason,
    coalesce(evt.data.object.failure_reason, evt.data.object.failure_code) AS failure_reason,
    unix_utc(evt.data.object.evidence_details.due_by) AS evidence_due_by,
    evt IS NOT NULL AND is_object(envelope) AND is_object(env.body) AS payload_parsed,
    landing_key AS _landing_key,
    written_at AS _written_at,
    try_cast(env.received_at AS TIMESTAMPTZ) AS _received_at,
    env.source AS _delivery,
    unix_utc(env.signature_timestamp) AS _signature_at,
    CASE WHEN evt IS NOT NULL AND is_object(envelope) AND is_object(env.body) THEN env.body END AS _payload,
    CASE WHEN json_type(evt.data.object.latest_charge) = 'OBJECT' THEN evt.data.object.latest_charge
         ELSE evt.data.object.charges.data -> '$[0]' END AS _embedded_charge,
    evt.data.object.refunds.data AS _embedded_refunds
FROM parsed
