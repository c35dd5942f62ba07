-- Over-shipped: a SKU of the order shipped in a greater quantity than ordered (or shipped and never ordered).
SELECT order_id, to_json({status: any_value(status),
                          skus: list({sku: sku, ordered: ordered, shipped: shipped} ORDER BY sku)})::VARCHAR AS evidence
FROM order_fulfillment
WHERE shipped > ordered
GROUP BY order_id
