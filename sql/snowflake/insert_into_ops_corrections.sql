-- A correction's request (northstar/corrections.py); never updated: its state is the latest of its events.
INSERT INTO OPS.CORRECTIONS (CORRECTION_ID, KIND, REASON, TICKET, REQUESTED_BY, REQUESTED_AT, ARGS)
VALUES (%(correction_id)s, %(kind)s, %(reason)s, %(ticket)s, %(requested_by)s, %(requested_at)s, %(args)s);
