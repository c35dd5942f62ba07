-- trace --order: the order's published lines.
SELECT * FROM CORE.ORDER_LINES WHERE ORDER_ID = %(id)s ORDER BY LINE_NO;
