-- Every row of an (order_id, line_no) the batch holds more than once, and rows without a line_no: which copy
-- is true cannot be told, so none is published.
SELECT b._row_id
FROM batch AS b
SEMI JOIN (
    SELECT order_id, line_no FROM batch WHERE line_no IS NOT NULL GROUP BY ALL HAVING count(*) > 1
) AS r ON r.order_id = b.order_id AND r.line_no = b.line_no
UNION ALL
SELECT _row_id FROM batch WHERE line_no IS NULL
