-- The last entry of the audit log (the chain's head), inside the audit lock's transaction.
SELECT SEQ, HASH
FROM OPS.AUDIT_LOG
ORDER BY SEQ DESC
LIMIT 1;
