-- Not a check: the already-published keys (and their source files) the duplicates checks compare against.
CREATE OR REPLACE TABLE published_lines AS
SELECT CAST(shipment_id AS VARCHAR) AS shipment_id, CAST(line_no AS BIGINT) AS line_no,
       CAST(source_file AS VARCHAR) AS source_file
FROM published_keys
