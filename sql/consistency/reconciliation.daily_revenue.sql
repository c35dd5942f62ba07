-- reconciliation.daily_revenue: day-currency totals compared with finance, and those off by the SLA or more.
SELECT count(*) AS rows_checked,
       count(*) FILTER (WHERE NOT within_sla) AS rows_failed,
       CASE
           WHEN rows_failed > 0 THEN format(
               '{} of {} day-currency totals off: {}', rows_failed, rows_checked,
               string_agg(format('{} {} {}', business_date, currency, printf('%.4f%%', variance * 100)), '; '
                          ORDER BY business_date, currency) FILTER (WHERE NOT within_sla)
           )
           ELSE format('{} all within', rows_checked)
       END AS actual
FROM out_daily
