-- The incident of a cause that is not closed yet (at most one).
SELECT INCIDENT_ID, STATUS, OCCURRENCES, LAST_BATCH_ID
FROM OPS.INCIDENTS
WHERE CAUSE_KEY = %(cause_key)s AND STATUS <> 'closed'
ORDER BY OPENED_AT DESC
LIMIT 1
