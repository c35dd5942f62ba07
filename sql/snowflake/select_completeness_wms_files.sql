-- Every WMS file a fulfillment batch recorded; a DUPLICATE row is the same content seen again: it marks a landed
-- file as taken (the content was), never as taken a second time.
SELECT LANDED_URI, _BATCH_ID AS BATCH_ID, STATUS FROM OPS.WMS_FILES;
