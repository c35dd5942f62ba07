SELECT reason, count(*) AS n
FROM (SELECT unnest(reasons) AS reason FROM quarantined)
GROUP BY reason
ORDER BY reason
