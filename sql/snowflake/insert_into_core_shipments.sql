-- New shipments of the batch, each from its first staged line (by file, then position); a shipment
-- already published keeps its row, unless a new version of the file that published it is staged (its
-- header may be corrected). Replacing the batch's own rows first keeps a completed rerun exact.
DELETE FROM CORE.SHIPMENTS WHERE _BATCH_ID = %(batch_id)s;

DELETE FROM CORE.SHIPMENTS
USING OPS.STAGE_WMS_LINES AS s
WHERE CORE.SHIPMENTS.SHIPMENT_ID = s.SHIPMENT_ID AND CORE.SHIPMENTS._SOURCE_FILE = s.SOURCE_FILE;

INSERT INTO CORE.SHIPMENTS (
    SHIPMENT_ID, ORDER_ID, WAREHOUSE_CODE, CARRIER, TRACKING_NUMBER, SHIPPED_AT, FORMAT,
    _SOURCE_FILE, _FILE_SHA256, _POSITION, _BATCH_ID, _LOADED_AT
)
SELECT
    s.SHIPMENT_ID, s.ORDER_ID, s.WAREHOUSE_CODE, s.CARRIER, s.TRACKING_NUMBER, s.SHIPPED_AT, s.FORMAT,
    s.SOURCE_FILE, s.FILE_SHA256, s.POSITION, %(batch_id)s, %(loaded_at)s
FROM OPS.STAGE_WMS_LINES AS s
WHERE NOT EXISTS (SELECT 1 FROM CORE.SHIPMENTS AS t WHERE t.SHIPMENT_ID = s.SHIPMENT_ID)
QUALIFY ROW_NUMBER() OVER (PARTITION BY s.SHIPMENT_ID ORDER BY s.SOURCE_FILE, s.POSITION) = 1;
