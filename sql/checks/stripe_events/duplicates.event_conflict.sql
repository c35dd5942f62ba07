-- One event id delivered twice with different contents: Stripe events are immutable, so every copy is
-- suspect and quarantined. Compared on what the event says (type, time, object and its mapped state), not
-- on the raw text, which differs harmlessly between deliveries (pending_webhooks, key order).
SELECT _row_id
FROM (
    SELECT _row_id, min(_content) OVER e <> max(_content) OVER e AS conflicting
    FROM (
        SELECT _row_id, event_id,
               hash(event_type, event_created, object_id, status, currency, amount, amount_refunded, order_id)
                   AS _content
        FROM batch SEMI JOIN repeated_keys ON batch.event_id = repeated_keys.key
    )
    WINDOW e AS (PARTITION BY event_id)
)
WHERE conflicting
