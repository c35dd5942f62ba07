-- Cancelled but shipped: the order says cancelled, the warehouse shipped lines for it.
SELECT order_id, to_json({status: status, shipment_lines: shipment_lines,
                          shipped_quantity: shipped_quantity})::VARCHAR AS evidence
FROM order_amounts
WHERE status = 'cancelled' AND shipment_lines > 0
