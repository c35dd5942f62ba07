-- trace --order: every quarantined version of the order, with every batch that saw it.
SELECT * FROM QUARANTINE.ORDERS WHERE ORDER_ID = %(id)s ORDER BY _QUARANTINED_AT;
