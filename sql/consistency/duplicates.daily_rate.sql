-- duplicates.daily_rate: reconciled business days, and those whose duplicate rate reaches $max_duplicate_rate.
SELECT count(*) AS rows_checked,
       count(*) FILTER (WHERE rate >= $max_duplicate_rate) AS rows_failed,
       CASE
           WHEN rows_failed > 0 THEN format(
               '{} of {} days over: {}', rows_failed, rows_checked,
               string_agg(format('{} {}/{} = {}', business_date, duplicates, orders, printf('%.3f%%', rate * 100)),
                          '; ' ORDER BY business_date) FILTER (WHERE rate >= $max_duplicate_rate)
           )
           ELSE format('{} days within', rows_checked)
       END AS actual
FROM duplicate_rates
