-- not_blank: rows whose text column is null, empty or only spaces.
SELECT _row_id FROM batch WHERE {when} AND ({column} IS NULL OR trim({column}) = '')
