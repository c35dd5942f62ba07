-- reconciliation.daily_revenue: day-currency totals compared with finance, and those off by the SLA or more;
-- a failing day carries its "no rows of ours explain ..." notes, so the result itself says what is unexplained.
WITH days AS (
    SELECT *, [n FOR n IN coalesce(CAST(json_extract(explanation, '$.notes') AS VARCHAR[]), [])
               IF starts_with(n, 'no rows')] AS unexplained
    FROM out_daily
)
SELECT count(*) AS rows_checked,
       count(*) FILTER (WHERE NOT within_sla) AS rows_failed,
       CASE
           WHEN rows_failed > 0 THEN format(
               '{} of {} day-currency totals off: {}', rows_failed, rows_checked,
               string_agg(format('{} {} {}{}', business_date, currency, printf('%.4f%%', variance * 100),
                                 CASE WHEN len(unexplained) > 0 THEN ' (' || array_to_string(unexplained, '; ') || ')'
                                      ELSE '' END), '; '
                          ORDER BY business_date, currency) FILTER (WHERE NOT within_sla)
           )
           ELSE format('{} all within', rows_checked)
       END AS actual
FROM days
