INSERT INTO OPS.INCIDENT_EVENTS (INCIDENT_ID, EVENT, FROM_STATUS, TO_STATUS, BATCH_ID, ACTOR, DETAILS, EVENT_AT)
VALUES (%(incident_id)s, %(event)s, %(from_status)s, %(to_status)s, %(batch_id)s, %(actor)s, %(details)s, %(now)s)
