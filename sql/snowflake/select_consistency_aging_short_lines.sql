-- Orders expected to ship (paid, shipped, delivered) that turned N days old in the run's window: each ordered
-- SKU whose shipped quantity (matched by order and SKU) falls short, with the order's whole shipped quantity.
-- Only the short SKUs leave the warehouse.
WITH aging AS (
    SELECT ORDER_ID, STATUS, CREATED_AT
    FROM CORE.ORDERS
    WHERE _DELETED_AT IS NULL AND STATUS IN ('paid', 'shipped', 'delivered') AND CREATED_AT >= %(low)s AND CREATED_AT < %(high)s
),
ordered AS (
    SELECT l.ORDER_ID, l.SKU, SUM(l.QUANTITY) AS ORDERED
    FROM CORE.ORDER_LINES AS l JOIN aging AS a ON a.ORDER_ID = l.ORDER_ID
    GROUP BY l.ORDER_ID, l.SKU
),
shipped AS (
    SELECT s.ORDER_ID, s.SKU, SUM(s.QUANTITY) AS SHIPPED
    FROM CORE.SHIPMENT_LINES AS s JOIN aging AS a ON a.ORDER_ID = s.ORDER_ID
    GROUP BY s.ORDER_ID, s.SKU
)
SELECT a.ORDER_ID, a.STATUS, a.CREATED_AT, o.SKU, o.ORDERED, COALESCE(s.SHIPPED, 0) AS SHIPPED,
       COALESCE(t.SHIPPED, 0) AS ORDER_SHIPPED
FROM ordered AS o
JOIN aging AS a ON a.ORDER_ID = o.ORDER_ID
LEFT JOIN shipped AS s ON s.ORDER_ID = o.ORDER_ID AND s.SKU = o.SKU
LEFT JOIN (SELECT ORDER_ID, SUM(SHIPPED) AS SHIPPED FROM shipped GROUP BY ORDER_ID) AS t ON t.ORDER_ID = o.ORDER_ID
WHERE COALESCE(s.SHIPPED, 0) < o.ORDERED;
