-- Rows older than another version of the same order in this batch.
SELECT _row_id
FROM (
    SELECT _row_id, updated_at, max(updated_at) OVER (PARTITION BY order_id) AS latest
    FROM batch SEMI JOIN repeated_keys ON batch.order_id = repeated_keys.key
)
WHERE updated_at < latest
