-- trace --order: the order's shipment lines.
SELECT * FROM CORE.SHIPMENT_LINES WHERE ORDER_ID = %(id)s ORDER BY SHIPMENT_ID, LINE_NO;
