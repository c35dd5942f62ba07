-- trace --payment: quarantined events about the payment intent.
SELECT * FROM QUARANTINE.STRIPE_EVENTS WHERE OBJECT_ID = %(id)s ORDER BY _QUARANTINED_AT;
