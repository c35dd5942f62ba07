-- Lines already published from another file: published_lines holds the CORE.SHIPMENT_LINES keys of the
-- shipments this batch references (fetched by the flow, only those keys). A line published from the same
-- remote path is not a duplicate: the file was resent with new content (a new version, flagged in
-- OPS.WMS_FILES) and its lines supersede that version's (duplicates.line_superseded counts them).
SELECT _row_id
FROM batch
SEMI JOIN published_lines AS p
    ON batch.shipment_id = p.shipment_id AND batch.line_no = p.line_no AND batch.source_file <> p.source_file
