-- The reconciled days' captured payments (by the intent's creation time), each with its order when known and the
-- object its captured amount came from (charge or payment_intent; see merge_into_core_payments.sql).
SELECT p.PAYMENT_INTENT_ID, p.ORDER_ID, p.CURRENCY, p.AMOUNT_CAPTURED, p.CREATED_AT, p.CAPTURED_FROM,
       o.ORDER_ID IS NOT NULL AS ORDER_KNOWN, o.STATUS AS ORDER_STATUS, o.CURRENCY AS ORDER_CURRENCY,
       o.TOTAL_AMOUNT_MINOR AS ORDER_TOTAL_MINOR
FROM CORE.PAYMENTS AS p
LEFT JOIN CORE.ORDERS AS o ON o.ORDER_ID = p.ORDER_ID AND o._DELETED_AT IS NULL
WHERE p.CREATED_AT >= %(low)s AND p.CREATED_AT < %(high)s AND p.AMOUNT_CAPTURED > 0;
