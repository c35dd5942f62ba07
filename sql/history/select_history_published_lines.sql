-- The duplicates checks' `published_lines` over the history: none. The history is everything published, so no
-- line was published before it from another file (each key is in CORE once).
SELECT CAST(NULL AS VARCHAR) AS shipment_id, CAST(NULL AS NUMBER(38, 0)) AS line_no,
       CAST(NULL AS VARCHAR) AS source_file
WHERE FALSE
