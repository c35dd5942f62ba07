-- trace --order: the order's row in the curated mart (published only through the consistency gate).
SELECT * FROM MARTS.ORDER_PAYMENTS WHERE ORDER_ID = %(id)s;
