-- Lines whose order is not among the batch's passed orders (batch_orders): an order quarantined, or a line read
-- without its order. They wait for a batch that publishes their order with them.
SELECT b._row_id
FROM batch AS b
ANTI JOIN batch_orders AS o ON o.order_id = b.order_id
