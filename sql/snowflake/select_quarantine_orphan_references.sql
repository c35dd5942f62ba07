-- Payment and shipment references whose order never arrived within the grace period (consistency batches).
-- SOURCE_BATCH_ID is the payments or fulfillment batch that carried the reference.
SELECT _BATCH_ID, REF_KIND, REF_KEY, ORDER_ID, REASONS, PENDING_SINCE, SOURCE_BATCH_ID, _QUARANTINED_AT
FROM QUARANTINE.ORPHAN_REFERENCES
WHERE %(batch_id)s IS NULL OR _BATCH_ID = %(batch_id)s OR SOURCE_BATCH_ID = %(batch_id)s
ORDER BY _QUARANTINED_AT DESC, REF_KIND, REF_KEY;
