-- referential.order_in_batch's `batch_orders` over the history: every order CORE holds (a line's order may be
-- older than --since).
SELECT ORDER_ID AS order_id FROM CORE.ORDERS WHERE _DELETED_AT IS NULL
