-- The published line keys of the shipments staged in OPS.STAGE_WMS_KEYS (only those a batch references).
SELECT l.SHIPMENT_ID, l.LINE_NO
FROM CORE.SHIPMENT_LINES AS l
JOIN OPS.STAGE_WMS_KEYS AS k ON k.SHIPMENT_ID = l.SHIPMENT_ID;
