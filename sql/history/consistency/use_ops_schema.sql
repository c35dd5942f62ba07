-- The session's current schema for the full-history consistency audit's TEMPORARY slice tables
-- (validators/history_consistency.py::build_history_slice): a session that created no schema has none, and Snowflake
-- refuses an unqualified CREATE TABLE then (090106). OPS holds no table of a slice table's name, so nothing is hidden.
USE SCHEMA OPS
