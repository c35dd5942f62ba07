-- fct_orders has every CORE order once, with the same totals per currency; dim_customer's order counts plus
-- duplicates add up to the orders. Rows = failures.
with mart as (
    select currency, count(*) as orders, sum(total_amount_minor) as total
    from {{ ref('fct_orders') }} group by currency
),
core as (
    select currency, count(*) as orders, sum(total_amount_minor) as total
    from {{ live('orders') }} group by currency
),
customers as (
    select sum(orders) + sum(duplicate_orders) as orders from {{ ref('dim_customer') }}
)
select coalesce(m.currency, c.currency) as currency, m.orders, c.orders as core_orders, m.total, c.total as core_total
from mart as m
full join core as c on c.currency = m.currency
where coalesce(m.orders, 0) <> coalesce(c.orders, 0) or coalesce(m.total, 0) <> coalesce(c.total, 0)
union all
select 'all', (select count(*) from {{ ref('fct_orders') }}), orders, null, null
from customers
where orders <> (select count(*) from {{ live('orders') }})
