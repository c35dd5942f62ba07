-- The windows of one source with a COMMITTED or HELD batch inside [range_start, range_end).
SELECT DISTINCT WINDOW_START, WINDOW_END FROM OPS.LOAD_BATCHES
WHERE SOURCE = %(source)s AND WINDOW_START >= %(range_start)s AND WINDOW_END <= %(range_end)s
  AND STATUS IN ('COMMITTED', 'HELD')
ORDER BY WINDOW_START;
