-- The published line keys of the shipments staged in OPS.STAGE_WMS_KEYS (only those a batch references),
-- with the file each came from, so that a new version of the same file may supersede its own lines.
SELECT l.SHIPMENT_ID, l.LINE_NO, l._SOURCE_FILE, l._BATCH_ID
FROM CORE.SHIPMENT_LINES AS l
JOIN OPS.STAGE_WMS_KEYS AS k ON k.SHIPMENT_ID = l.SHIPMENT_ID;
