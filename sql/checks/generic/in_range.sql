-- in_range: rows whose column is null or outside [min, max], both inclusive. A bound given as NULL makes its
-- comparison NULL, which never selects a row: an open bound.
SELECT _row_id FROM batch WHERE {when} AND ({column} IS NULL OR {column} < $min OR {column} > $max)
