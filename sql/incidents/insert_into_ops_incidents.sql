INSERT INTO OPS.INCIDENTS (INCIDENT_ID, CAUSE_KEY, SOURCE, CHECK_ID, BUSINESS_DATE, STATUS, SUMMARY, FIRST_BATCH_ID,
                           LAST_BATCH_ID, OCCURRENCES, OPENED_AT, UPDATED_AT)
VALUES (%(incident_id)s, %(cause_key)s, %(source)s, %(check_id)s, %(business_date)s, 'open', %(summary)s,
        %(batch_id)s, %(batch_id)s, 1, %(now)s, %(now)s)
