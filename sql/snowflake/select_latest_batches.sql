-- The end of each source's newest committed window, for freshness.
SELECT SOURCE, MAX(WINDOW_END) AS WINDOW_END
FROM OPS.LOAD_BATCHES
WHERE STATUS = 'COMMITTED' AND SOURCE IN ('orders', 'payments', 'fulfillment')
GROUP BY SOURCE;
