-- One finance report (layout in northstar/sources/finance.py); only the rows of the folder's day count.
-- Read as text and columns taken by header name, so a missing or renamed column fails instead of being read
-- by position; an amount must be a whole number of minor units ('12.50' would otherwise round to 13).
INSERT INTO finance
SELECT CAST(business_date AS DATE), upper(trim(currency)),
       CASE WHEN regexp_full_match(trim(captured_minor), '-?[0-9]+') THEN CAST(trim(captured_minor) AS BIGINT)
            ELSE error('captured_minor ' || coalesce(captured_minor, 'NULL') || ' is not whole minor units') END,
       CASE WHEN regexp_full_match(trim(refunded_minor), '-?[0-9]+') THEN CAST(trim(refunded_minor) AS BIGINT)
            ELSE error('refunded_minor ' || coalesce(refunded_minor, 'NULL') || ' is not whole minor units') END,
       CASE WHEN regexp_full_match(trim(net_revenue_minor), '-?[0-9]+') THEN CAST(trim(net_revenue_minor) AS BIGINT)
            ELSE error('net_revenue_minor ' || coalesce(net_revenue_minor, 'NULL') || ' is not whole minor units')
       END,
       $uri
FROM read_csv($path, header = true, all_varchar = true)
WHERE CAST(business_date AS DATE) = $day
