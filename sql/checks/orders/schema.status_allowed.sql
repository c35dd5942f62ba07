SELECT _row_id FROM batch WHERE status IS NULL OR NOT list_contains($allowed_statuses, status)
