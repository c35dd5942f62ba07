-- The order ids that passed the orders checks of this batch: the orders whose lines it may publish.
CREATE OR REPLACE TABLE batch_orders AS SELECT DISTINCT order_id FROM passed
