-- The quarantined versions of orders (their raw records carry updated_at) quarantined since %(low)s: an order created
-- in the reconciled range [low, high) can only have been quarantined after it was created.
SELECT ORDER_ID, RAW_RECORD FROM QUARANTINE.ORDERS WHERE ORDER_ID IS NOT NULL AND _QUARANTINED_AT >= %(low)s;
