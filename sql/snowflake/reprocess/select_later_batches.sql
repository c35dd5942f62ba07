-- The batches of one source's windows after a given window start (a fulfillment replay leaves their records out
-- of its judgement: its files are judged against what earlier windows had recorded, as in their first run).
SELECT DISTINCT BATCH_ID FROM OPS.LOAD_BATCHES
WHERE SOURCE = %(source)s AND WINDOW_START > %(window_start)s;
