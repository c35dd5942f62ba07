-- Another batch failed the same way: counted once per batch (a rerun of the same batch adds nothing).
UPDATE OPS.INCIDENTS
SET OCCURRENCES = OCCURRENCES + 1, LAST_BATCH_ID = %(batch_id)s, UPDATED_AT = %(now)s
WHERE INCIDENT_ID = %(incident_id)s AND LAST_BATCH_ID <> %(batch_id)s
