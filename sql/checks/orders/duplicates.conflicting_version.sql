-- Rows sharing (order_id, updated_at) whose contents differ: the source gave two truths for one version.
SELECT _row_id
FROM (
    SELECT
        _row_id,
        min(_content) OVER v <> max(_content) OVER v AS conflicting
    FROM (
        SELECT _row_id, order_id, updated_at,
               hash(customer_id, status, currency, total_amount_minor, created_at) AS _content
        FROM batch
        WHERE order_id IS NOT NULL
    )
    WINDOW v AS (PARTITION BY order_id, updated_at)
)
WHERE conflicting
