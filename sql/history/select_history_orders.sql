-- The orders history as the orders checks' `batch`: every order CORE holds (not marked deleted), its contract's
-- columns under their contract names, and _row_id its key (text, so one failing-keys shape serves every dataset).
-- Timestamps are naive UTC, as CORE stores them. %(since)s: only versions updated from then (naive UTC).
SELECT TO_VARCHAR(ORDER_ID) AS _row_id, ORDER_ID AS order_id, CUSTOMER_ID AS customer_id, STATUS AS status,
       CURRENCY AS currency, TOTAL_AMOUNT_MINOR AS total_amount_minor, CREATED_AT AS created_at,
       UPDATED_AT AS updated_at
FROM CORE.ORDERS
WHERE _DELETED_AT IS NULL AND UPDATED_AT >= %(since)s
