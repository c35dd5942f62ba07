-- The payment intents whose current state the checked batches published.
SELECT PAYMENT_INTENT_ID, ORDER_ID, CURRENCY, AMOUNT_CAPTURED, CREATED_AT, _BATCH_ID
FROM CORE.PAYMENTS
WHERE _LOADED_AT >= %(since)s AND _BATCH_ID IN (%(batch_ids)s);
