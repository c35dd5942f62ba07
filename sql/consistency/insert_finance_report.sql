-- One finance report (layout in northstar/sources/finance.py); only the rows of the folder's day count.
INSERT INTO finance
SELECT business_date, upper(trim(currency)), captured_minor, refunded_minor, net_revenue_minor, $uri
FROM read_csv($path, header = true, columns = {
    'business_date': 'DATE', 'currency': 'VARCHAR', 'captured_minor': 'BIGINT', 'refunded_minor': 'BIGINT',
    'net_revenue_minor': 'BIGINT'
})
WHERE business_date = $day
