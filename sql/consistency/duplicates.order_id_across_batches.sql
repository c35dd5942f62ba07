-- duplicates.order_id_across_batches (counted): checked orders created before their batch's read started, which an
-- earlier batch normally published too (the keyed merge kept one row).
SELECT rows_checked, rows_failed,
       format('{} of {} orders were published by an earlier batch too', rows_failed, rows_checked) AS actual
FROM (
    SELECT (SELECT count(*) FROM new_orders) AS rows_checked, count(*) AS rows_failed
    FROM new_orders AS n
    JOIN inputs AS i ON i.batch_id = n._batch_id
    WHERE n.created_at < i.watermark_low
)
