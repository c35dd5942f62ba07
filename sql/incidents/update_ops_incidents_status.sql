UPDATE OPS.INCIDENTS
SET STATUS = %(status)s, UPDATED_AT = %(now)s,
    CLASSIFICATION = COALESCE(%(classification)s, CLASSIFICATION),
    CORRECTION_ID = COALESCE(%(correction_id)s, CORRECTION_ID),
    CLOSED_AT = CASE WHEN %(status)s = 'closed' THEN %(now)s ELSE CLOSED_AT END,
    CLOSE_REASON = CASE WHEN %(status)s = 'closed' THEN %(reason)s ELSE CLOSE_REASON END
WHERE INCIDENT_ID = %(incident_id)s AND STATUS = %(from_status)s
