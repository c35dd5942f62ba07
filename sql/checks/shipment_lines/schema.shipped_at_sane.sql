-- Every file of a batch was last modified before the window's end, so a line cannot have shipped after it;
-- 15 minutes of tolerance absorb the sender's clock running ahead of ours.
SELECT _row_id
FROM batch
WHERE shipped_at IS NULL
   OR shipped_at < TIMESTAMPTZ '2000-01-01 00:00:00+00'
   OR shipped_at >= $window_end + INTERVAL 15 MINUTE
