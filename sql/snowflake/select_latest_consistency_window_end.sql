-- The end of the newest consistency batch's window (UTC): the latest business day that has a gate result.
SELECT MAX(WINDOW_END) AS WINDOW_END FROM OPS.LOAD_BATCHES WHERE SOURCE = 'consistency';
