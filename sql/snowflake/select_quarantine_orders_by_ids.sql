-- The quarantined versions of the given orders (their raw records carry updated_at).
SELECT ORDER_ID, RAW_RECORD FROM QUARANTINE.ORDERS WHERE ORDER_ID IN (%(ids)s);
