-- accepted_values: rows whose column is null or not one of the declared values (bound as a list).
SELECT _row_id FROM batch WHERE {when} AND ({column} IS NULL OR {column} NOT IN (SELECT unnest($values)))
