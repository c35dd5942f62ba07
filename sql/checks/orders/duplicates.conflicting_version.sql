-- Rows sharing (order_id, updated_at) whose contents differ: the source gave two truths for one version.
-- Only orders seen more than once (repeated_keys, built once by the router) can be duplicates.
SELECT _row_id
FROM (
    SELECT _row_id, min(_content) OVER v <> max(_content) OVER v AS conflicting
    FROM (
        SELECT _row_id, order_id, updated_at,
               hash(customer_id, status, currency, total_amount_minor, created_at) AS _content
        FROM batch SEMI JOIN repeated_keys ON batch.order_id = repeated_keys.key
    )
    WINDOW v AS (PARTITION BY order_id, updated_at)
)
WHERE conflicting
