-- The windows of one source with a COMMITTED or HELD batch overlapping [range_start, range_end): a batch whose
-- window reaches into the range published rows of it (a first run's window can span days), so it is replayed whole.
SELECT DISTINCT WINDOW_START, WINDOW_END FROM OPS.LOAD_BATCHES
WHERE SOURCE = %(source)s AND WINDOW_START < %(range_end)s AND WINDOW_END > %(range_start)s
  AND STATUS IN ('COMMITTED', 'HELD')
ORDER BY WINDOW_START;
