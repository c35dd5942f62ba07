-- For a freshness breach, where each source stands now: its newest committed window (of the windows ending after the
-- breached day began) and the latest freshness measurement of it by any consistency batch (its value, threshold and
-- whether it is within the SLA). One row per source that has either.
WITH newest AS (
    SELECT SOURCE, MAX(WINDOW_END) AS NEWEST_WINDOW_END
    FROM OPS.LOAD_BATCHES
    WHERE STATUS = 'COMMITTED' AND SOURCE <> 'consistency' AND WINDOW_END > %(low)s
    GROUP BY SOURCE
),
measured AS (
    SELECT REPLACE(m.METRIC, 'freshness_minutes_', '') AS SOURCE, m.BATCH_ID, m.VALUE, m.THRESHOLD, m.WITHIN_SLA,
           b.WINDOW_END AS MEASURED_AT
    FROM OPS.SLA_METRICS AS m
    JOIN OPS.LOAD_BATCHES AS b ON b.BATCH_ID = m.BATCH_ID
    WHERE m.METRIC LIKE 'freshness_minutes_%%' AND b.WINDOW_END > %(low)s
    QUALIFY ROW_NUMBER() OVER (PARTITION BY m.METRIC ORDER BY b.WINDOW_END DESC, m.BATCH_ID DESC) = 1
)
SELECT COALESCE(n.SOURCE, m.SOURCE) AS SOURCE, n.NEWEST_WINDOW_END, m.BATCH_ID AS MEASURED_BY, m.VALUE, m.THRESHOLD,
       m.WITHIN_SLA, m.MEASURED_AT
FROM newest AS n
FULL OUTER JOIN measured AS m ON m.SOURCE = n.SOURCE
ORDER BY 1
