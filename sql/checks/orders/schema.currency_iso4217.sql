SELECT _row_id FROM batch WHERE currency IS NULL OR NOT list_contains($iso_currencies, currency)
