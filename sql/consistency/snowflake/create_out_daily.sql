-- Snowflake's out_daily for the full-history audit (validators/history_consistency.py), in place of the DuckDB
-- statement of create_daily_reconciliation.sql. Why not transpiled: DuckDB's list_filter over a lambda, printf and a
-- list of structs sliced [:50] come out of sqlglot as FILTER(...), PRINTF and [:50], which Snowflake does not have
-- (and the local emulator fails on). The audit reads only within_sla and the notes that say what no row of ours
-- explains, so this keeps those (`unexplained`, the same sentences joined by '; ') and leaves the explanation NULL.
CREATE OR REPLACE TEMPORARY TABLE out_daily AS
WITH sides AS (
    SELECT c.*,
           c.net_minor - COALESCE(c.finance_net_minor, 0) AS difference_minor,
           c.captured_minor - COALESCE(c.finance_captured_minor, 0) AS captured_difference_minor,
           c.refunded_minor - COALESCE(c.finance_refunded_minor, 0) AS refunded_difference_minor
    FROM daily_compared AS c
),
notes AS (
    SELECT s.*,
           CASE WHEN s.payments + s.refunds = 0 AND s.difference_minor <> 0
                THEN 'no rows of ours explain ' || TO_VARCHAR(ABS(s.difference_minor))
                     || ' minor units: we have no payment or refund in ' || s.currency || ' on '
                     || TO_VARCHAR(s.business_date) END AS no_rows,
           CASE WHEN s.payments + s.refunds > 0 AND s.captured_difference_minor < 0
                THEN 'no rows of ours explain ' || TO_VARCHAR(-s.captured_difference_minor)
                     || ' minor units captured: finance counted payments we have no row for' END AS no_captured,
           CASE WHEN s.payments + s.refunds > 0 AND s.refunded_difference_minor < 0
                THEN 'no rows of ours explain ' || TO_VARCHAR(-s.refunded_difference_minor)
                     || ' minor units refunded: finance counted refunds we have no row for' END AS no_refunded
    FROM sides AS s
)
SELECT business_date, currency, net_minor, finance_net_minor, variance, variance < %(max_variance)s AS within_sla,
       CAST(NULL AS VARCHAR) AS explanation, finance_file,
       COALESCE(no_rows, '') || COALESCE(no_captured, '')
           || IFF(no_captured IS NOT NULL AND no_refunded IS NOT NULL, '; ', '') || COALESCE(no_refunded, '')
           AS unexplained
FROM notes
