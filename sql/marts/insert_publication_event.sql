INSERT INTO OPS.MART_PUBLICATION_EVENTS (PUBLICATION_ID, PREVIOUS_ID, EVENT, ACTOR, REASON, EVENT_AT)
VALUES (%(publication_id)s, %(previous_id)s, %(event)s, %(actor)s, %(reason)s, %(at)s)
