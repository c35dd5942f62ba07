-- Replace one alert's row (the caller runs this inside one transaction for all the alerts a run changed).
DELETE FROM OPS.ALERTS WHERE ALERT_KEY = %(key)s;

INSERT INTO OPS.ALERTS (
    ALERT_KEY, KIND, SEVERITY, STATE, SUMMARY, DETAIL, FIRST_SEEN, LAST_SEEN, OCCURRENCES, RESOLVED_AT, NOTIFIED_AT,
    PENDING, DELIVERY_ATTEMPTS, LAST_ERROR, MUTED_UNTIL, MUTED_STATE
)
VALUES (
    %(key)s, %(kind)s, %(severity)s, %(state)s, %(summary)s, %(detail)s, %(first_seen)s, %(last_seen)s,
    %(occurrences)s, %(resolved_at)s, %(notified_at)s, %(pending)s, %(delivery_attempts)s, %(last_error)s,
    %(muted_until)s, %(muted_state)s
);
