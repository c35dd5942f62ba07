-- The newest committed batch of a source that ended at or before a window starts.
SELECT WATERMARK_HIGH, WINDOW_END
FROM OPS.LOAD_BATCHES
WHERE SOURCE = %(source)s AND STATUS = 'COMMITTED' AND WINDOW_END <= %(window_start)s
ORDER BY WINDOW_END DESC
LIMIT 1;
