-- accepted_values for Snowflake: why a file of its own. The DuckDB template binds the values as ONE list
-- parameter and unnests it; sqlglot renders that unnest as FLATTEN over ARRAY_GENERATE_RANGE of a bound array,
-- which the connector's client-side binding cannot fill (a list parameter becomes 'a','b', not an array). Here
-- the connector expands the list into the IN list itself. Same rows: null, or not one of the values.
SELECT _row_id FROM batch WHERE {when} AND ({column} IS NULL OR {column} NOT IN (%(values)s))
