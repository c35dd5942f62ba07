-- trace --order: the order's payments.
SELECT * FROM CORE.PAYMENTS WHERE ORDER_ID = %(id)s ORDER BY PAYMENT_INTENT_ID;
