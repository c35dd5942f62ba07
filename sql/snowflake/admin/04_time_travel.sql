-- Time Travel on the curated marts: 30 days to see or restore what a dashboard showed (UNDROP, AT/BEFORE).
-- Over 1 day needs Enterprise edition (docs/cost.md assumes it). CORE keeps the default 1 day: its
-- history is in the landed raw data and the batch ledger, and longer retention would store every merge twice.
ALTER SCHEMA MARTS SET DATA_RETENTION_TIME_IN_DAYS = 30;
