-- The keys to stage: orders referenced by new rows and waiting references, intents whose refunds or disputes
-- changed, and the new orders' customers with their creation times (for the duplicate window).
COPY (
    SELECT DISTINCT CAST(order_id AS BIGINT) AS ORDER_ID, NULL::VARCHAR AS PAYMENT_INTENT_ID,
           NULL::BIGINT AS CUSTOMER_ID, NULL::TIMESTAMP AS CREATED_AT
    FROM (
        SELECT order_id FROM new_orders
        UNION ALL SELECT order_id FROM new_payments
        UNION ALL SELECT order_id FROM new_shipment_lines
        UNION ALL SELECT order_id FROM pending
    )
    WHERE order_id IS NOT NULL
    UNION ALL
    SELECT DISTINCT NULL, payment_intent_id, NULL, NULL
    FROM (
        SELECT payment_intent_id FROM changed_intents
        UNION ALL SELECT payment_intent_id FROM new_payments
        UNION ALL SELECT payment_intent_id FROM new_links
    )
    WHERE payment_intent_id IS NOT NULL
    UNION ALL
    SELECT DISTINCT NULL, NULL, customer_id, created_at FROM new_orders WHERE customer_id IS NOT NULL
) TO '$path' (FORMAT parquet)
