-- Mart rows this consistency batch published (none when its gate held).
SELECT (SELECT COUNT(*) FROM MARTS.DAILY_REVENUE WHERE _BATCH_ID = %(batch_id)s)
     + (SELECT COUNT(*) FROM MARTS.ORDER_PAYMENTS WHERE _BATCH_ID = %(batch_id)s) AS N;
