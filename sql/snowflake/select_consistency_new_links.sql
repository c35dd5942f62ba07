-- The order links in the raw events of the checked payments batches, from every object that carries one (as
-- create_raw_batch.sql reads them): a checkout session's client_reference_id, else its metadata.order_id; a
-- payment intent's or a charge's metadata.order_id. A reference that is not a number links nothing.
SELECT COALESCE(PAYLOAD:data.object.payment_intent::VARCHAR, OBJECT_ID) AS PAYMENT_INTENT_ID,
       COALESCE(
           IFF(OBJECT_TYPE = 'checkout.session', TRY_TO_NUMBER(PAYLOAD:data.object.client_reference_id::VARCHAR), NULL),
           TRY_TO_NUMBER(PAYLOAD:data.object.metadata.order_id::VARCHAR)
       ) AS ORDER_ID,
       EVENT_ID, EVENT_CREATED AS LINKED_AT, _BATCH_ID
FROM RAW.STRIPE_EVENTS
WHERE _LOADED_AT >= %(since)s AND _BATCH_ID IN (%(batch_ids)s)
  AND OBJECT_TYPE IN ('payment_intent', 'checkout.session', 'charge');
