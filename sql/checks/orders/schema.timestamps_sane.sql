SELECT _row_id
FROM batch
WHERE created_at IS NULL
   OR updated_at IS NULL
   OR created_at < TIMESTAMPTZ '2000-01-01 00:00:00+00'
   OR created_at > updated_at
   OR updated_at >= $window_end
