-- Two-year retention: deletes the CORE and RAW rows older than %(cutoff)s (UTC, TIMESTAMP_NTZ). OPS (ledger,
-- check results, evidence) and QUARANTINE are kept. An order's lines go with it; a row without its own
-- date is aged by when it was loaded. `northstar warehouse setup` wraps these statements in the procedure
-- OPS.PURGE_PAST_RETENTION() (cutoff: two years before now), called daily by the task in 05_retention.sql.
DELETE FROM CORE.ORDER_LINES WHERE ORDER_ID IN (SELECT ORDER_ID FROM CORE.ORDERS WHERE CREATED_AT < %(cutoff)s);
DELETE FROM CORE.ORDERS WHERE CREATED_AT < %(cutoff)s;
DELETE FROM CORE.PAYMENTS WHERE COALESCE(CREATED_AT, _LOADED_AT) < %(cutoff)s;
DELETE FROM CORE.REFUNDS WHERE COALESCE(CREATED_AT, _LOADED_AT) < %(cutoff)s;
DELETE FROM CORE.DISPUTES WHERE COALESCE(CREATED_AT, _LOADED_AT) < %(cutoff)s;
DELETE FROM CORE.DISPUTE_STATUS_HISTORY WHERE EVENT_CREATED < %(cutoff)s;
DELETE FROM CORE.SHIPMENT_LINES WHERE SHIPPED_AT < %(cutoff)s;
DELETE FROM CORE.SHIPMENTS WHERE COALESCE(SHIPPED_AT, _LOADED_AT) < %(cutoff)s;
DELETE FROM RAW.STRIPE_EVENTS WHERE COALESCE(EVENT_CREATED, _LOADED_AT) < %(cutoff)s;
