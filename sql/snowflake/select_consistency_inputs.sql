-- Committed source batches that no committed consistency batch has checked yet (a held one leaves them).
SELECT b.BATCH_ID, b.SOURCE, b.ROWS_EXTRACTED, b.ROWS_QUARANTINED, b.WINDOW_END, b.STARTED_AT, b.WATERMARK_LOW
FROM OPS.LOAD_BATCHES AS b
WHERE b.STATUS = 'COMMITTED'
  AND b.SOURCE IN ('orders', 'payments', 'fulfillment')
  AND NOT EXISTS (SELECT 1 FROM OPS.CONSISTENCY_INPUTS AS i WHERE i.SOURCE_BATCH_ID = b.BATCH_ID);
