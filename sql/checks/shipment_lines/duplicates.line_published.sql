-- Lines already published by an earlier batch: published_lines holds the CORE.SHIPMENT_LINES keys of the
-- shipments this batch references (fetched by the flow, only those keys).
SELECT _row_id
FROM batch
SEMI JOIN published_lines AS p ON batch.shipment_id = p.shipment_id AND batch.line_no = p.line_no
