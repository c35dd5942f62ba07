-- trace --shipment: its published lines.
SELECT * FROM CORE.SHIPMENT_LINES WHERE SHIPMENT_ID = %(id)s ORDER BY LINE_NO;
