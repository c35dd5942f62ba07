-- One batch's per-order reconciliation findings by reason code.
SELECT REASON, COUNT(*) AS N FROM OPS.ORDER_RECONCILIATION WHERE _BATCH_ID = %(batch_id)s GROUP BY REASON ORDER BY REASON;
