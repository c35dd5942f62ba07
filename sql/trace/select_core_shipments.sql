-- trace --shipment: the shipment as published.
SELECT * FROM CORE.SHIPMENTS WHERE SHIPMENT_ID = %(id)s;
