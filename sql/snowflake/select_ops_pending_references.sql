-- The references still waiting for their order (bounded by the grace period).
SELECT REF_KIND, REF_KEY, ORDER_ID, SOURCE_BATCH_ID, PENDING_SINCE, FIRST_BATCH_ID
FROM OPS.PENDING_REFERENCES;
