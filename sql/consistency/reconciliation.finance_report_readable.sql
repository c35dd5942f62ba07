-- reconciliation.finance_report_readable: finance reports read and those that broke the layout, with the error.
SELECT rows_checked, rows_failed, coalesce(errors, format('{} reports read', rows_checked)) AS actual
FROM (
    SELECT (SELECT count(DISTINCT source_file) FROM finance) + count(*) AS rows_checked,
           count(*) AS rows_failed,
           string_agg(format('{}: {}', source_file, error), '; ' ORDER BY source_file, error) AS errors
    FROM finance_unreadable
)
