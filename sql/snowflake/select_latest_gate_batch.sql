-- The newest consistency batch that recorded a gate result (COMMITTED: passed; HELD: held), by window end then
-- finish time: the gate a by-hand publication of the marts must follow.
SELECT BATCH_ID, STATUS FROM OPS.LOAD_BATCHES
WHERE SOURCE = 'consistency' AND STATUS IN ('COMMITTED', 'HELD')
ORDER BY WINDOW_END DESC, FINISHED_AT DESC NULLS LAST
LIMIT 1;
