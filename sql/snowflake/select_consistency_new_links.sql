-- The order links in the raw events of the checked payments batches (as create_raw_batch.sql reads them).
SELECT COALESCE(PAYLOAD:data.object.payment_intent::VARCHAR, OBJECT_ID) AS PAYMENT_INTENT_ID,
       TRY_TO_NUMBER(COALESCE(
           IFF(OBJECT_TYPE = 'checkout.session', PAYLOAD:data.object.client_reference_id::VARCHAR, NULL),
           PAYLOAD:data.object.metadata.order_id::VARCHAR
       )) AS ORDER_ID,
       EVENT_ID, EVENT_CREATED AS LINKED_AT, _BATCH_ID
FROM RAW.STRIPE_EVENTS
WHERE _LOADED_AT >= %(since)s AND _BATCH_ID IN (%(batch_ids)s)
  AND OBJECT_TYPE IN ('payment_intent', 'checkout.session');
