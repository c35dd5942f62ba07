-- One row per business day with orders, shipments or quarantined orders.
with orders as (
    select {{ business_day('created_at') }} as business_date,
           count_if(duplicate_of_order_id is null) as orders, count_if(duplicate_of_order_id is not null) as duplicates
    from {{ ref('int_order_facts') }}
    group by 1
),
shipments as (
    select {{ business_day('shipped_at') }} as business_date, count(distinct shipment_id) as shipments,
           count(*) as shipment_lines
    from {{ source('core', 'shipment_lines') }}
    group by 1
),
late as (
    select {{ business_day('s.shipped_at') }} as business_date, count(distinct s.shipment_id) as late_shipments
    from {{ source('core', 'shipment_lines') }} as s
    join {{ live('orders') }} as o on o.order_id = s.order_id
    where s.shipped_at > dateadd('day', {{ var('late_after_days') }}, o.created_at)
    group by 1
),
quarantined as (
    select {{ business_day('_quarantined_at') }} as business_date, count(*) as quarantined
    from {{ source('quarantine', 'orders') }}
    group by 1
),
days as (
    select business_date from orders
    union select business_date from shipments
    union select business_date from quarantined
)
select
    cast(d.business_date as date) as business_date,
    cast(coalesce(o.orders, 0) as number(38, 0)) as orders,
    cast(coalesce(o.duplicates, 0) as number(38, 0)) as duplicate_orders,
    cast(coalesce(s.shipments, 0) as number(38, 0)) as shipments,
    cast(coalesce(l.late_shipments, 0) as number(38, 0)) as late_shipments,
    cast(coalesce(q.quarantined, 0) as number(38, 0)) as quarantined_orders,
    cast(case when coalesce(o.orders, 0) + coalesce(o.duplicates, 0) + coalesce(q.quarantined, 0) = 0 then 0
              else coalesce(q.quarantined, 0)
                   / (coalesce(o.orders, 0) + coalesce(o.duplicates, 0) + coalesce(q.quarantined, 0)) end
         as float) as quarantine_rate,
    cast(case when coalesce(o.orders, 0) + coalesce(o.duplicates, 0) = 0 then 0
              else coalesce(o.duplicates, 0) / (coalesce(o.orders, 0) + coalesce(o.duplicates, 0)) end
         as float) as duplicate_rate
from days as d
left join orders as o on o.business_date = d.business_date
left join shipments as s on s.business_date = d.business_date
left join late as l on l.business_date = d.business_date
left join quarantined as q on q.business_date = d.business_date
