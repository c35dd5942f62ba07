-- trace --shipment: its quarantined lines.
SELECT * FROM QUARANTINE.WMS_LINES WHERE SHIPMENT_ID = %(id)s ORDER BY _QUARANTINED_AT;
