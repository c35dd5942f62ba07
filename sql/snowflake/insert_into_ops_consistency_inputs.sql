-- The source batches this committed consistency batch checked: the next run does not take them again.
INSERT INTO OPS.CONSISTENCY_INPUTS (BATCH_ID, SOURCE_BATCH_ID, SOURCE)
SELECT %(batch_id)s, SOURCE_BATCH_ID, SOURCE FROM OPS.STAGE_CC_INPUTS;
