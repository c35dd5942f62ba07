-- One thing that happened to an alert: muted (who, why, until), sent, send_failed, test.
INSERT INTO OPS.ALERT_EVENTS (ALERT_KEY, EVENT, ACTOR, REASON, DETAIL, EVENT_AT)
VALUES (%(key)s, %(event)s, %(actor)s, %(reason)s, %(detail)s, %(at)s);
