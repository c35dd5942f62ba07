-- The go-live on Snowflake, where DDL commits on its own (so re-pointing N views one by one is N commits, and a
-- dashboard could read a mix of two publications between them). The stable views in MARTS read the schema
-- MARTS_LIVE (sql/marts/create_marts_live_views.sql); a publication goes live by swapping a zero-copy clone of its
-- schema into MARTS_LIVE: ALTER SCHEMA ... SWAP WITH renames both schemas in ONE metadata operation, so every
-- stable view switches at the same instant. {publication_schema} is MARTS_PUB_<id>, an identifier from code
-- (northstar/marts/publication.py checks it). fakesnow cannot run this (no SWAP WITH, no schema CLONE: README,
-- "What the emulator cannot show"); tests/test_marts.py proves that it refuses it, so the local go-live uses the
-- one-transaction view switch instead.
CREATE SCHEMA IF NOT EXISTS MARTS_LIVE;
CREATE OR REPLACE TRANSIENT SCHEMA MARTS_NEXT CLONE {publication_schema};
ALTER SCHEMA MARTS_LIVE SWAP WITH MARTS_NEXT;
-- MARTS_NEXT now holds the previous publication's clone: nothing reads it (the publication's own schema stays for
-- rollback until it leaves the last K).
DROP SCHEMA IF EXISTS MARTS_NEXT CASCADE;
