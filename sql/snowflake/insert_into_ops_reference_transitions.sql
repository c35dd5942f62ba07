-- Every transition of a reference, appended: the history that answers "was this late or missing?". Never
-- replaced, so a rerun of a held batch keeps the transitions its first run applied (it finds none again).
INSERT INTO OPS.REFERENCE_TRANSITIONS (
    REF_KIND, REF_KEY, ORDER_ID, STATE, PENDING_SINCE, TRANSITION_AT, SOURCE_BATCH_ID, _BATCH_ID
)
SELECT REF_KIND, REF_KEY, ORDER_ID, STATE, PENDING_SINCE, TRANSITION_AT, SOURCE_BATCH_ID, %(batch_id)s
FROM OPS.STAGE_CC_TRANSITIONS;
