-- Whether this set of DDL files was already applied (one row) or not (none).
SELECT 1 AS APPLIED FROM OPS.SCHEMA_VERSIONS WHERE DIGEST = %(digest)s LIMIT 1;
