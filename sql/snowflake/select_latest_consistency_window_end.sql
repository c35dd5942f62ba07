-- The end of the newest consistency batch's window (UTC) that recorded a gate result (COMMITTED or HELD; a FAILED or
-- still RUNNING batch has none): the latest business day that has a gate result.
SELECT MAX(WINDOW_END) AS WINDOW_END FROM OPS.LOAD_BATCHES
WHERE SOURCE = 'consistency' AND STATUS IN ('COMMITTED', 'HELD');
