-- The reconciled days' counted refunds (CORE.REFUNDS_COUNTED: refund objects by their creation time, and the part
-- of a charge's refunded amount no refund object covers, by the event that showed it), each with its payment's
-- order and the object it came from (COUNTED_FROM: refund or charge).
SELECT r.REFUND_ID, r.PAYMENT_INTENT_ID, p.ORDER_ID, r.AMOUNT, r.CURRENCY, r.CREATED_AT, r.COUNTED_FROM
FROM CORE.REFUNDS_COUNTED AS r
LEFT JOIN CORE.PAYMENTS AS p ON p.PAYMENT_INTENT_ID = r.PAYMENT_INTENT_ID
WHERE r.CREATED_AT >= %(low)s AND r.CREATED_AT < %(high)s AND r.STATUS = 'succeeded';
