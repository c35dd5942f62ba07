-- Every WMS file a fulfillment batch took (a DUPLICATE row is the same content seen again, not a second take).
SELECT LANDED_URI, _BATCH_ID AS BATCH_ID FROM OPS.WMS_FILES WHERE STATUS <> 'DUPLICATE';
