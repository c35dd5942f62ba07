-- The reconciled days' succeeded refunds (by the refund's creation time), each with its payment's order.
SELECT r.REFUND_ID, r.PAYMENT_INTENT_ID, p.ORDER_ID, r.AMOUNT, r.CURRENCY, r.CREATED_AT
FROM CORE.REFUNDS AS r
LEFT JOIN CORE.PAYMENTS AS p ON p.PAYMENT_INTENT_ID = r.PAYMENT_INTENT_ID
WHERE r.CREATED_AT >= %(low)s AND r.CREATED_AT < %(high)s AND r.STATUS = 'succeeded';
