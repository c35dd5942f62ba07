-- not_null: rows whose column is null (among the rows `when` selects; `true` when the declaration gives none).
SELECT _row_id FROM batch WHERE {when} AND {column} IS NULL
