-- Snowflake only: the stable view of one relation, reading MARTS_LIVE (swapped in by sql/marts/swap_marts_live.sql).
-- Written after each swap (a new model version adds its view once its table is in MARTS_LIVE; a removed one
-- is dropped); its text is always the same, so the swap alone decides what dashboards read.
CREATE OR REPLACE VIEW MARTS.{relation} AS SELECT * FROM MARTS_LIVE.{relation}
