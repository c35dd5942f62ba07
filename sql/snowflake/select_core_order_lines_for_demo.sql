-- Every published order line, for the demo's WMS drop (the demo's warehouse holds a few thousand orders).
SELECT ORDER_ID, SKU, QUANTITY FROM CORE.ORDER_LINES ORDER BY ORDER_ID, LINE_NO;
