-- Source reconciliation --all: the earliest created_at of an order that can be published (it has an order_id).
SELECT min(created_at) AS earliest FROM orders WHERE order_id IS NOT NULL
