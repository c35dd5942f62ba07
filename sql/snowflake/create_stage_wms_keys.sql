-- The shipment ids one fulfillment batch references, to fetch only their published lines by a join
-- (replaced per batch, before any transaction; one fulfillment batch runs at a time).
CREATE OR REPLACE TRANSIENT TABLE OPS.STAGE_WMS_KEYS (
    SHIPMENT_ID  VARCHAR
);
