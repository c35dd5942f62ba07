-- The newest committed batch of a source that ended at or before a window starts (a repair batch of the source
-- reconciliation re-reads chosen orders, not a window: it never moves the watermark).
SELECT WATERMARK_HIGH, WINDOW_END
FROM OPS.LOAD_BATCHES
WHERE SOURCE = %(source)s AND STATUS = 'COMMITTED' AND WINDOW_END <= %(window_start)s
  AND BATCH_ID NOT LIKE '%%-repair-%%'
ORDER BY WINDOW_END DESC
LIMIT 1;
