-- trace --payment: every landed event about the payment intent (the write-once object, how it arrived, its batch).
SELECT EVENT_ID, EVENT_TYPE, EVENT_CREATED, DELIVERY, RECEIVED_AT, LANDING_KEY, _BATCH_ID
FROM RAW.STRIPE_EVENTS WHERE OBJECT_ID = %(id)s
ORDER BY EVENT_CREATED, EVENT_ID;
