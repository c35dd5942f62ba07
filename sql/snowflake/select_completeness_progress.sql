-- Per source, when its latest committed batch started: an object landed before then that no batch took was missed.
SELECT SOURCE, MAX(STARTED_AT) AS LAST_STARTED
FROM OPS.LOAD_BATCHES
WHERE STATUS = 'COMMITTED' AND STARTED_AT IS NOT NULL
GROUP BY SOURCE;
