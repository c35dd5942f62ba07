-- trace --payment: its refunds.
SELECT * FROM CORE.REFUNDS WHERE PAYMENT_INTENT_ID = %(id)s ORDER BY CREATED_AT;
