-- The published lines of some shipments, with the batch that published each: a fulfillment reprocess correction
-- scopes its evidence to the keys its batch's files carry, less those a later window's batch owns, and names the
-- earlier batches' lines its rebuild cannot reproduce (flows/corrections_reprocess.py).
SELECT SHIPMENT_ID, LINE_NO, _BATCH_ID
FROM CORE.SHIPMENT_LINES
WHERE SHIPMENT_ID IN (%(ids)s);
