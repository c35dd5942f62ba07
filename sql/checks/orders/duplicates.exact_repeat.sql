-- Every copy after the first of a row repeated exactly (only keys in repeated_keys can repeat).
SELECT _row_id
FROM (
    SELECT _row_id,
           row_number() OVER (
               PARTITION BY order_id, customer_id, status, currency, total_amount_minor, created_at, updated_at
               ORDER BY _row_id
           ) AS copy_no
    FROM batch SEMI JOIN repeated_keys ON batch.order_id = repeated_keys.key
)
WHERE copy_no > 1
