with refunded as (
    select payment_intent_id, {{ sum_minor('amount') }} as refunded_minor, count(*) as refunds
    from {{ source('core', 'refunds') }}
    where status = 'succeeded'
    group by payment_intent_id
),
lost as (
    select payment_intent_id, {{ sum_minor('amount') }} as disputes_lost_minor
    from {{ source('core', 'disputes') }}
    where status = 'lost'
    group by payment_intent_id
)
select
    cast(p.payment_intent_id as varchar) as payment_intent_id,
    cast(o.order_id as number(38, 0)) as order_id,
    cast(p.order_id as number(38, 0)) as linked_order_id,
    cast(p.status as varchar) as payment_status,
    cast(p.currency as varchar) as currency,
    cast(coalesce(p.amount, 0) as number(38, 0)) as amount_minor,
    cast(coalesce(p.amount_captured, 0) as number(38, 0)) as captured_minor,
    cast(coalesce(r.refunded_minor, 0) as number(38, 0)) as refunded_minor,
    cast(coalesce(r.refunds, 0) as number(38, 0)) as refunds,
    cast(coalesce(l.disputes_lost_minor, 0) as number(38, 0)) as disputes_lost_minor,
    cast(o.order_id is not null as boolean) as order_known,
    cast(p.created_at as timestamp_ntz) as created_at,
    {{ business_day('p.created_at') }} as business_date
from {{ source('core', 'payments') }} as p
left join {{ live('orders') }} as o on o.order_id = p.order_id
left join refunded as r on r.payment_intent_id = p.payment_intent_id
left join lost as l on l.payment_intent_id = p.payment_intent_id
