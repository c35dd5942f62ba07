-- Revenue by business day and currency under one definition: captured (by the payment intent's creation time)
-- minus succeeded refunds (by the refund's creation time), each in the business timezone, plus the approved revenue
-- adjustments of the day (MARTS.REVENUE_ADJUSTMENTS, README "Corrections and audit").
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
),
adjusted AS (
    SELECT business_day AS business_date, currency, sum(amount_minor) AS adjustments_minor
    FROM day_adjustments
    GROUP BY ALL
)
SELECT business_date, currency,
       coalesce(c.captured_minor, 0) AS captured_minor, coalesce(r.refunded_minor, 0) AS refunded_minor,
       coalesce(c.captured_minor, 0) - coalesce(r.refunded_minor, 0) + coalesce(a.adjustments_minor, 0) AS net_minor,
       coalesce(c.payments, 0) AS payments, coalesce(r.refunds, 0) AS refunds
FROM captured AS c
FULL JOIN refunded AS r USING (business_date, currency)
FULL JOIN adjusted AS a USING (business_date, currency);

-- Against finance, for the days finance reported: variance = |ours - finance| / |finance| per currency; each side's
-- captured and refunded kept for the explanation.
CREATE OR REPLACE TABLE daily_compared AS
WITH files AS (SELECT business_date, any_value(source_file) AS finance_file FROM finance GROUP BY business_date)
SELECT business_date, currency, coalesce(d.net_minor, 0) AS net_minor, f.net_revenue_minor AS finance_net_minor,
       CASE
           WHEN coalesce(f.net_revenue_minor, 0) <> 0
               THEN abs(coalesce(d.net_minor, 0) - f.net_revenue_minor) / abs(f.net_revenue_minor)
           WHEN coalesce(d.net_minor, 0) = 0 THEN 0.0
           ELSE 1.0
       END AS variance,
       coalesce(d.captured_minor, 0) AS captured_minor, coalesce(d.refunded_minor, 0) AS refunded_minor,
       coalesce(d.payments, 0) AS payments, coalesce(d.refunds, 0) AS refunds,
       f.captured_minor AS finance_captured_minor, f.refunded_minor AS finance_refunded_minor,
       files.finance_file
FROM daily_revenue AS d
FULL JOIN finance AS f USING (business_date, currency)
JOIN files USING (business_date);

-- Every payment and refund of the reconciled days, each with the object its amount came from (captured: charge or
-- payment_intent; refunded: refund or charge, see CORE.REFUNDS_COUNTED) and a reason: a payment without a known
-- order, in another currency than its order, on an order that is not revenue (pending, cancelled, refunded), or
-- whose amount differs from its order's total, is flagged so; any other payment is 'payment', a refund 'refund'.
CREATE OR REPLACE TABLE day_explanations AS
SELECT CAST(timezone($tz, created_at AT TIME ZONE 'UTC') AS DATE) AS business_date, currency,
       CASE
           WHEN NOT order_known THEN 'payment_without_order'
           WHEN order_currency <> currency THEN 'currency_mismatch'
           WHEN order_status NOT IN ('paid', 'shipped', 'delivered') THEN 'order_not_revenue'
           WHEN amount_captured <> order_total_minor THEN 'amount_differs_from_order'
           ELSE 'payment'
       END AS reason,
       order_id, payment_intent_id, NULL::VARCHAR AS refund_id, amount_captured AS amount_minor,
       coalesce(captured_from, 'charge') AS counted_from
FROM day_payments
UNION ALL
SELECT CAST(timezone($tz, created_at AT TIME ZONE 'UTC') AS DATE), currency, 'refund', order_id,
       payment_intent_id, refund_id, -amount, coalesce(counted_from, 'refund')
FROM day_refunds;

-- A failing day's explanation: both sides' captured and refunded, every row of ours for the day and currency (up to
-- 50: flagged payments first, then the largest), and, for the part of the difference no row of ours can explain
-- (finance counted more captured, or more refunded, than we have rows for), a sentence that says so, never an empty
-- list: "no rows of ours explain N minor units ...".
CREATE OR REPLACE TABLE out_daily AS
WITH sides AS (
    SELECT c.*,
           c.net_minor - coalesce(c.finance_net_minor, 0) AS difference_minor,
           c.captured_minor - coalesce(c.finance_captured_minor, 0) AS captured_difference_minor,
           c.refunded_minor - coalesce(c.finance_refunded_minor, 0) AS refunded_difference_minor
    FROM daily_compared AS c
),
explained AS (
    SELECT s.*,
           greatest(-s.captured_difference_minor, 0) + greatest(-s.refunded_difference_minor, 0) AS unexplained_minor,
           list_filter([
               CASE WHEN s.payments + s.refunds = 0 AND s.difference_minor <> 0
                    THEN printf('no rows of ours explain %d minor units: we have no payment or refund in %s on %s',
                                abs(s.difference_minor), s.currency, s.business_date) END,
               CASE WHEN s.payments + s.refunds > 0 AND s.captured_difference_minor < 0
                    THEN printf('no rows of ours explain %d minor units captured: finance counted payments we have '
                                'no row for', -s.captured_difference_minor) END,
               CASE WHEN s.payments + s.refunds > 0 AND s.refunded_difference_minor < 0
                    THEN printf('no rows of ours explain %d minor units refunded: finance counted refunds we have '
                                'no row for', -s.refunded_difference_minor) END,
               CASE WHEN s.captured_difference_minor > 0
                    THEN printf('our payments exceed finance''s captured by %d minor units: the listed payments are '
                                'the candidates (flagged first)', s.captured_difference_minor) END,
               CASE WHEN s.refunded_difference_minor > 0
                    THEN printf('our refunds exceed finance''s refunded by %d minor units: the listed refunds are '
                                'the candidates', s.refunded_difference_minor) END,
               CASE WHEN s.finance_net_minor IS NULL
                    THEN printf('finance reported nothing in %s for this day', s.currency) END
           ], lambda m: m IS NOT NULL) AS notes
    FROM sides AS s
)
SELECT c.business_date, c.currency, c.net_minor, c.finance_net_minor, c.variance,
       c.variance < $max_variance AS within_sla,
       CASE WHEN c.variance >= $max_variance THEN to_json({
           difference_minor: c.difference_minor,
           ours: {captured_minor: c.captured_minor, refunded_minor: c.refunded_minor, payments: c.payments,
                  refunds: c.refunds},
           finance: {captured_minor: c.finance_captured_minor, refunded_minor: c.finance_refunded_minor,
                     net_minor: c.finance_net_minor},
           captured_difference_minor: c.captured_difference_minor,
           refunded_difference_minor: c.refunded_difference_minor,
           unexplained_minor: c.unexplained_minor,
           notes: c.notes,
           items_total: c.payments + c.refunds,
           items: (
               SELECT coalesce(list({reason: e.reason, order_id: e.order_id, payment_intent_id: e.payment_intent_id,
                                     refund_id: e.refund_id, amount_minor: e.amount_minor, counted_from: e.counted_from}
                                    ORDER BY e.reason IN ('payment', 'refund'), abs(e.amount_minor) DESC,
                                             e.payment_intent_id, e.refund_id), [])[:50]
               FROM day_explanations AS e
               WHERE e.business_date = c.business_date AND e.currency = c.currency
           )
       })::VARCHAR END AS explanation,
       c.finance_file
FROM explained AS c;

-- The curated daily revenue (MARTS.DAILY_REVENUE) for every reconciled day, published only when the gate passes.
CREATE OR REPLACE TABLE out_daily_revenue AS
SELECT business_date, currency, captured_minor, refunded_minor, net_minor, payments, refunds
FROM daily_revenue;

-- The reconciled days: the mart's rows for them are replaced, so a day left with no payments shows none.
CREATE OR REPLACE TABLE out_days AS SELECT unnest($days::DATE[]) AS business_date;
