-- matches: rows whose text column is null or does not match the declared regular expression in full.
SELECT _row_id FROM batch WHERE {when} AND ({column} IS NULL OR NOT regexp_full_match({column}, $pattern))
