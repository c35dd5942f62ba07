-- Release a lease this owner holds.
DELETE FROM OPS.BATCH_LEASES WHERE BATCH_ID = %(batch_id)s AND OWNER = %(owner)s;
