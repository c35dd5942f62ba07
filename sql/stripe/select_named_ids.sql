-- Every object id the parsed batch's events name (their object, payment intent and charge), for a reprocess:
-- the rows of these objects are rebuilt from all their landed events (flows/reprocess_sources.py).
SELECT DISTINCT id FROM (
    SELECT object_id AS id FROM raw_batch
    UNION ALL SELECT payment_intent_id FROM raw_batch
    UNION ALL SELECT charge_id FROM raw_batch
)
WHERE coalesce(id, '') <> ''
ORDER BY id
