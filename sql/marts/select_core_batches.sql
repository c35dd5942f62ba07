-- The newest committed batch per source: the CORE state a publication is built from.
SELECT SOURCE, max(BATCH_ID) AS BATCH_ID
FROM OPS.LOAD_BATCHES
WHERE STATUS = 'COMMITTED'
GROUP BY SOURCE
ORDER BY SOURCE
