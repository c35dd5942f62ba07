-- The certified revenue per business day and currency (definition in marts.yml and README.md).
with captured as (
    select {{ business_day('created_at') }} as business_date, currency,
           {{ sum_minor('amount_captured') }} as captured_minor, count(*) as payments
    from {{ source('core', 'payments') }}
    where amount_captured > 0
    group by 1, 2
),
refunded as (
    select {{ business_day('created_at') }} as business_date, currency,
           {{ sum_minor('amount') }} as refunded_minor, count(*) as refunds
    from {{ source('core', 'refunds') }}
    where status = 'succeeded'
    group by 1, 2
),
disputes_lost as (
    select {{ business_day('updated_at') }} as business_date, currency, {{ sum_minor('amount') }} as disputes_lost_minor
    from {{ source('core', 'disputes') }}
    where status = 'lost'
    group by 1, 2
),
adjustments as (
    select cast(business_day as date) as business_date, currency, {{ sum_minor('amount_minor') }} as adjustments_minor
    from {{ source('marts_inputs', 'revenue_adjustments') }}
    group by 1, 2
),
days as (
    select business_date, currency from captured
    union select business_date, currency from refunded
    union select business_date, currency from disputes_lost
    union select business_date, currency from adjustments
)
select
    cast(d.business_date as date) as business_date,
    cast(d.currency as varchar) as currency,
    cast(coalesce(c.captured_minor, 0) as number(38, 0)) as captured_minor,
    cast(coalesce(r.refunded_minor, 0) as number(38, 0)) as refunded_minor,
    cast(coalesce(l.disputes_lost_minor, 0) as number(38, 0)) as disputes_lost_minor,
    cast(coalesce(a.adjustments_minor, 0) as number(38, 0)) as adjustments_minor,
    cast(coalesce(c.captured_minor, 0) - coalesce(r.refunded_minor, 0) + coalesce(a.adjustments_minor, 0)
         as number(38, 0)) as net_revenue_minor,
    cast(coalesce(c.payments, 0) as number(38, 0)) as payments,
    cast(coalesce(r.refunds, 0) as number(38, 0)) as refunds,
    cast('{{ var("gate_batch_id") }}' as varchar) as _gate_batch_id
from days as d
left join captured as c on c.business_date = d.business_date and c.currency = d.currency
left join refunded as r on r.business_date = d.business_date and r.currency = d.currency
left join disputes_lost as l on l.business_date = d.business_date and l.currency = d.currency
left join adjustments as a on a.business_date = d.business_date and a.currency = d.currency
