-- Shipped but never paid: shipment lines exist and nothing was captured.
SELECT order_id, to_json({status: status, shipment_lines: shipment_lines, shipped_quantity: shipped_quantity,
                          captured_minor: captured})::VARCHAR AS evidence
FROM order_amounts
WHERE shipment_lines > 0 AND captured = 0
