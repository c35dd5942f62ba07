-- Source reconciliation --all: the earliest created_at in CORE.ORDERS (marked deleted or not).
SELECT MIN(CREATED_AT) AS EARLIEST FROM CORE.ORDERS
