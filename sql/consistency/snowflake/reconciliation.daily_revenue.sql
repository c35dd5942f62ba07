-- Snowflake's reconciliation.daily_revenue measure for the full-history audit, over create_out_daily.sql's table.
-- Why not transpiled: the DuckDB query reads the notes back from the explanation's JSON with a list comprehension
-- and formats with format('{}')/printf, none of which Snowflake has; the same text is built with || here
-- (the variance as a NUMBER(38, 4), as printf('%.4f') writes it).
SELECT COUNT(*) AS rows_checked,
       COUNT_IF(NOT within_sla) AS rows_failed,
       CASE
           WHEN COUNT_IF(NOT within_sla) > 0 THEN
               TO_VARCHAR(COUNT_IF(NOT within_sla)) || ' of ' || TO_VARCHAR(COUNT(*)) || ' day-currency totals off: '
               || LISTAGG(
                      IFF(NOT within_sla,
                          TO_VARCHAR(business_date) || ' ' || currency || ' '
                          || TO_VARCHAR(CAST(ROUND(variance * 100, 4) AS NUMBER(38, 4))) || '%'
                          || IFF(unexplained <> '', ' (' || unexplained || ')', ''),
                          NULL),
                      '; ') WITHIN GROUP (ORDER BY business_date, currency)
           ELSE TO_VARCHAR(COUNT(*)) || ' all within'
       END AS actual
FROM out_daily
