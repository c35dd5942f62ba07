-- Renew a lease this owner holds.
UPDATE OPS.BATCH_LEASES SET HEARTBEAT_AT = %(now)s, EXPIRES_AT = %(expires_at)s
WHERE BATCH_ID = %(batch_id)s AND OWNER = %(owner)s;
