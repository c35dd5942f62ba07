-- The published lines of some shipments, with the batch that published each: a fulfillment reprocess correction
-- scopes its evidence to the keys its batch's files carry, less those a later window's batch owns, and keeps the
-- earlier batches' lines its files are judged against, for its rebuild (flows/corrections_reprocess.py).
SELECT *
FROM CORE.SHIPMENT_LINES
WHERE SHIPMENT_ID IN (%(ids)s);
