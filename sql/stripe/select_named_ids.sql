-- Every object id the parsed batch's events name (their object, payment intent and charge, and the refunds a
-- 2019-era charge lists in refunds.data), for a reprocess: the rows of these objects are rebuilt from all their
-- landed events (flows/reprocess_sources.py), so a refund known only from a charge's list leaves CORE when the
-- replay rejects that charge's event.
SELECT DISTINCT id FROM (
    SELECT object_id AS id FROM raw_batch
    UNION ALL SELECT payment_intent_id FROM raw_batch
    UNION ALL SELECT charge_id FROM raw_batch
    UNION ALL SELECT unnest(from_json(_embedded_refunds, '[{"id": "VARCHAR"}]')).id
    FROM raw_batch
    WHERE json_type(_embedded_refunds) = 'ARRAY'
)
WHERE coalesce(id, '') <> ''
ORDER BY id
