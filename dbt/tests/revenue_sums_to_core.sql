-- The certified revenue sums to CORE: per currency, captured equals CORE.PAYMENTS' captured amounts and refunded
-- equals CORE.REFUNDS' succeeded amounts (a day-level definition cannot lose or invent money). Rows = failures.
with mart as (
    select currency, sum(captured_minor) as captured, sum(refunded_minor) as refunded
    from {{ ref('fct_daily_revenue') }} group by currency
),
core_captured as (
    select currency, sum(amount_captured) as captured from {{ source('core', 'payments') }}
    where amount_captured > 0 group by currency
),
core_refunded as (
    select currency, sum(amount) as refunded from {{ source('core', 'refunds') }}
    where status = 'succeeded' group by currency
)
select coalesce(m.currency, c.currency, r.currency) as currency, m.captured, c.captured as core_captured,
       m.refunded, r.refunded as core_refunded
from mart as m
full join core_captured as c on c.currency = m.currency
full join core_refunded as r on r.currency = coalesce(m.currency, c.currency)
where coalesce(m.captured, 0) <> coalesce(c.captured, 0) or coalesce(m.refunded, 0) <> coalesce(r.refunded, 0)
