-- trace --payment: the payment intent as published.
SELECT * FROM CORE.PAYMENTS WHERE PAYMENT_INTENT_ID = %(id)s;
