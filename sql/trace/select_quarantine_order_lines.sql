-- trace --order: the order's quarantined lines.
SELECT * FROM QUARANTINE.ORDER_LINES WHERE ORDER_ID = %(id)s ORDER BY _QUARANTINED_AT;
