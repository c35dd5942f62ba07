-- Which of some landed files OPS.WMS_FILES recorded (any status): a recorded file was taken by a batch.
SELECT DISTINCT LANDED_URI
FROM OPS.WMS_FILES
WHERE LANDED_URI IN (%(uris)s);
