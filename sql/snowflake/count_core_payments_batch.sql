-- Rows of CORE.PAYMENTS, CORE.REFUNDS and CORE.DISPUTES whose current state this batch published.
SELECT (SELECT COUNT(*) FROM CORE.PAYMENTS WHERE _BATCH_ID = %(batch_id)s)
     + (SELECT COUNT(*) FROM CORE.REFUNDS WHERE _BATCH_ID = %(batch_id)s)
     + (SELECT COUNT(*) FROM CORE.DISPUTES WHERE _BATCH_ID = %(batch_id)s) AS N;
