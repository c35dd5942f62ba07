-- trace --order: the published version of the order (_BATCH_ID: the batch that published it).
SELECT * FROM CORE.ORDERS WHERE ORDER_ID = %(id)s;
