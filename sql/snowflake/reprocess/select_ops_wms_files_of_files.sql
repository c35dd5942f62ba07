-- The file records naming some contents (SHA256) or remote paths, given in one list: a fulfillment reprocess
-- correction keeps the earlier batches' records its files are judged against, for its rebuild
-- (flows/corrections_reprocess.py). A sha256 is never a path, so one list serves both.
SELECT *
FROM OPS.WMS_FILES
WHERE SHA256 IN (%(values)s) OR REMOTE_PATH IN (%(values)s);
