-- matches for Snowflake: why a file of its own. sqlglot 30 has no Snowflake spelling for DuckDB's
-- regexp_full_match and passes the name through, which Snowflake does not know; REGEXP_LIKE matches the whole
-- text (Snowflake anchors its pattern at both ends), the same rows.
SELECT _row_id FROM batch WHERE {when} AND ({column} IS NULL OR NOT REGEXP_LIKE({column}, %(pattern)s))
