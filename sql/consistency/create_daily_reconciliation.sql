-- Revenue by business day and currency under one definition: captured (by the payment intent's creation time)
-- minus succeeded refunds (by the refund's creation time), each in the business timezone.
CREATE OR REPLACE TABLE daily_revenue AS
WITH captured AS (
    SELECT CAST(timezone($tz, created_at AT TIME ZONE 'UTC') AS DATE) AS business_date, currency,
           sum(amount_captured) AS captured_minor, count(*) AS payments
    FROM day_payments
    GROUP BY ALL
),
refunded AS (
    SELECT CAST(timezone($tz, created_at AT TIME ZONE 'UTC') AS DATE) AS business_date, currency,
           sum(amount) AS refunded_minor, count(*) AS refunds
    FROM day_refunds
    GROUP BY ALL
)
SELECT business_date, currency,
       coalesce(c.captured_minor, 0) AS captured_minor, coalesce(r.refunded_minor, 0) AS refunded_minor,
       coalesce(c.captured_minor, 0) - coalesce(r.refunded_minor, 0) AS net_minor,
       coalesce(c.payments, 0) AS payments, coalesce(r.refunds, 0) AS refunds
FROM captured AS c
FULL JOIN refunded AS r USING (business_date, currency);

-- Against finance, for the days finance reported: variance = |ours - finance| / |finance| per currency.
CREATE OR REPLACE TABLE daily_compared AS
WITH files AS (SELECT business_date, any_value(source_file) AS finance_file FROM finance GROUP BY business_date)
SELECT business_date, currency, coalesce(d.net_minor, 0) AS net_minor, f.net_revenue_minor AS finance_net_minor,
       CASE
           WHEN coalesce(f.net_revenue_minor, 0) <> 0
               THEN abs(coalesce(d.net_minor, 0) - f.net_revenue_minor) / abs(f.net_revenue_minor)
           WHEN coalesce(d.net_minor, 0) = 0 THEN 0.0
           ELSE 1.0
       END AS variance,
       files.finance_file
FROM daily_revenue AS d
FULL JOIN finance AS f USING (business_date, currency)
JOIN files USING (business_date);

-- The payments and refunds of a failing day that explain it: a payment without a known order, in another
-- currency than its order, on an order that is not revenue (pending, cancelled, refunded), or whose amount
-- differs from its order's total; and every refund of the day.
CREATE OR REPLACE TABLE day_explanations AS
SELECT CAST(timezone($tz, created_at AT TIME ZONE 'UTC') AS DATE) AS business_date, currency,
       CASE
           WHEN NOT order_known THEN 'payment_without_order'
           WHEN order_currency <> currency THEN 'currency_mismatch'
           WHEN order_status NOT IN ('paid', 'shipped', 'delivered') THEN 'order_not_revenue'
           WHEN amount_captured <> order_total_minor THEN 'amount_differs_from_order'
       END AS reason,
       order_id, payment_intent_id, NULL::VARCHAR AS refund_id, amount_captured AS amount_minor
FROM day_payments
WHERE NOT order_known OR order_currency <> currency OR order_status NOT IN ('paid', 'shipped', 'delivered')
   OR amount_captured <> order_total_minor
UNION ALL
SELECT CAST(timezone($tz, created_at AT TIME ZONE 'UTC') AS DATE), currency, 'refund', order_id,
       payment_intent_id, refund_id, -amount
FROM day_refunds;

CREATE OR REPLACE TABLE out_daily AS
SELECT c.business_date, c.currency, c.net_minor, c.finance_net_minor, c.variance,
       c.variance < $max_variance AS within_sla,
       CASE WHEN c.variance >= $max_variance THEN to_json({
           difference_minor: c.net_minor - coalesce(c.finance_net_minor, 0),
           items: (
               SELECT coalesce(list({reason: e.reason, order_id: e.order_id, payment_intent_id: e.payment_intent_id,
                                     refund_id: e.refund_id, amount_minor: e.amount_minor}
                                    ORDER BY abs(e.amount_minor) DESC, e.payment_intent_id), [])[:50]
               FROM day_explanations AS e
               WHERE e.business_date = c.business_date AND e.currency = c.currency
           )
       })::VARCHAR END AS explanation,
       c.finance_file
FROM daily_compared AS c;

-- The curated daily revenue (MARTS.DAILY_REVENUE) for every reconciled day, published only when the gate passes.
CREATE OR REPLACE TABLE out_daily_revenue AS
SELECT business_date, currency, captured_minor, refunded_minor, net_minor, payments, refunds
FROM daily_revenue;

-- The reconciled days: the mart's rows for them are replaced, so a day left with no payments shows none.
CREATE OR REPLACE TABLE out_days AS SELECT unnest($days::DATE[]) AS business_date;
