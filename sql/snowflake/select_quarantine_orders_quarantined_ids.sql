-- Which of the given order ids have a row in QUARANTINE.ORDERS (a quarantine release names only those).
SELECT DISTINCT ORDER_ID
FROM QUARANTINE.ORDERS
WHERE ORDER_ID IN (%(order_ids)s);
