-- Record a DDL digest once it applied.
INSERT INTO OPS.SCHEMA_VERSIONS (DIGEST, APPLIED_AT) VALUES (%(digest)s, %(applied_at)s);
