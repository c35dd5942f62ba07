SELECT _row_id FROM batch WHERE status IS NULL OR status NOT IN (SELECT unnest($allowed_statuses))
