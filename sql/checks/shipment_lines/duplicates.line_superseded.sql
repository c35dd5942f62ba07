-- Lines of a new version of a file that replace the line its earlier version published (same remote path,
-- same key). Counted as information: the earlier version stays in the landing store and OPS.WMS_FILES.
SELECT _row_id
FROM batch
SEMI JOIN published_lines AS p
    ON batch.shipment_id = p.shipment_id AND batch.line_no = p.line_no AND batch.source_file = p.source_file
