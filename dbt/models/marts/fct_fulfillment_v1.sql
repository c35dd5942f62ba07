-- One row per order and SKU of a known order: ordered against shipped, days to ship, late.
with ordered as (
    select order_id, sku, {{ sum_minor('quantity') }} as ordered_quantity
    from {{ live('order_lines') }}
    group by order_id, sku
),
shipped as (
    select order_id, sku, {{ sum_minor('quantity') }} as shipped_quantity, min(shipped_at) as first_shipped_at,
           max(shipped_at) as last_shipped_at, count(distinct shipment_id) as shipments
    from {{ source('core', 'shipment_lines') }}
    group by order_id, sku
),
lines as (
    select coalesce(od.order_id, sh.order_id) as order_id, coalesce(od.sku, sh.sku) as sku,
           coalesce(od.ordered_quantity, 0) as ordered_quantity, coalesce(sh.shipped_quantity, 0) as shipped_quantity,
           sh.first_shipped_at, sh.last_shipped_at, coalesce(sh.shipments, 0) as shipments
    from ordered as od
    full join shipped as sh on sh.order_id = od.order_id and sh.sku = od.sku
)
select
    cast(l.order_id as number(38, 0)) as order_id,
    cast(l.sku as varchar) as sku,
    cast(l.ordered_quantity as number(38, 0)) as ordered_quantity,
    cast(l.shipped_quantity as number(38, 0)) as shipped_quantity,
    cast(l.shipments as number(38, 0)) as shipments,
    cast(o.created_at as timestamp_ntz) as order_created_at,
    cast(l.first_shipped_at as timestamp_ntz) as first_shipped_at,
    cast(datediff('day', o.created_at, l.first_shipped_at) as number(38, 0)) as days_to_ship,
    cast(case
        when l.shipped_quantity = 0 then 'unshipped'
        when l.ordered_quantity = 0 then 'not_ordered'
        when l.shipped_quantity < l.ordered_quantity then 'partial'
        when l.shipped_quantity = l.ordered_quantity then 'shipped'
        else 'over_shipped'
    end as varchar) as line_status,
    cast(coalesce(l.first_shipped_at, cast('{{ var("as_of") }}' as timestamp_ntz))
         > dateadd('day', {{ var('late_after_days') }}, o.created_at) and o.status not in ('cancelled', 'refunded')
         as boolean) as is_late,
    {{ business_day('o.created_at') }} as business_date
from lines as l
join {{ live('orders') }} as o on o.order_id = l.order_id
