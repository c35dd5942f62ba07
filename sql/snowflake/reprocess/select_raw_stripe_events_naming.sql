-- The published landed events (RAW.STRIPE_EVENTS, not quarantined) that name some object ids, as their object,
-- payment intent or charge: a payments reprocess maps them with the replayed batch's events to rebuild those
-- objects' states (flows/reprocess_sources.py).
SELECT LANDING_KEY, WRITTEN_AT, _BATCH_ID
FROM RAW.STRIPE_EVENTS
WHERE (
        OBJECT_ID IN (%(ids)s)
        OR PAYLOAD:data.object.payment_intent::VARCHAR IN (%(ids)s)
        OR PAYLOAD:data.object.charge::VARCHAR IN (%(ids)s)
    )
  AND LANDING_KEY NOT IN (SELECT _ROW_KEY FROM QUARANTINE.STRIPE_EVENTS);
