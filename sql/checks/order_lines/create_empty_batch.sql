-- A batch landed before lines were extracted has no lines file: an empty batch with the contracted columns.
CREATE OR REPLACE TABLE raw_batch (
    _row_id BIGINT, order_id BIGINT, line_no INTEGER, sku VARCHAR, quantity INTEGER, unit_price_minor BIGINT,
    updated_at TIMESTAMPTZ
)
