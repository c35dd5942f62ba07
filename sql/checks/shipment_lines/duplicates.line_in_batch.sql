-- Every copy after the first of a (shipment_id, line_no) in this batch, within a file or across files.
-- Rows are numbered in arrival order (files by mtime, then name; lines by position), so the first one
-- received is kept. Only shipments seen more than once (repeated_keys, built by the router) can repeat.
SELECT _row_id
FROM (
    SELECT _row_id, row_number() OVER (PARTITION BY shipment_id, line_no ORDER BY _row_id) AS copy_no
    FROM batch SEMI JOIN repeated_keys ON batch.shipment_id = repeated_keys.key
    WHERE line_no IS NOT NULL
)
WHERE copy_no > 1
