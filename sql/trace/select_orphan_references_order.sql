-- trace --order: payment or shipment references to the order that waited past the grace period.
SELECT * FROM QUARANTINE.ORPHAN_REFERENCES WHERE ORDER_ID = %(id)s ORDER BY _QUARANTINED_AT;
