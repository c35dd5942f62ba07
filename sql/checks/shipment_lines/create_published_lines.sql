-- Not a check: the already-published keys the duplicates.line_published check compares against.
CREATE OR REPLACE TABLE published_lines AS
SELECT CAST(shipment_id AS VARCHAR) AS shipment_id, CAST(line_no AS BIGINT) AS line_no
FROM published_keys
