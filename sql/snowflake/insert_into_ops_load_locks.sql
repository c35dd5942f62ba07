-- Create a lock's row once (a duplicate from two first callers is harmless: the update takes both rows).
INSERT INTO OPS.LOAD_LOCKS (NAME, HELD_BY, HELD_AT)
SELECT %(name)s, NULL, NULL
WHERE NOT EXISTS (SELECT 1 FROM OPS.LOAD_LOCKS WHERE NAME = %(name)s);
