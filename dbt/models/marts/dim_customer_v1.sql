-- One row per customer with an order; a confirmed duplicate order is not counted.
select
    cast(customer_id as number(38, 0)) as customer_id,
    cast(count_if(duplicate_of_order_id is null) as number(38, 0)) as orders,
    cast(count_if(duplicate_of_order_id is not null) as number(38, 0)) as duplicate_orders,
    cast(min(created_at) as timestamp_ntz) as first_order_at,
    cast(max(created_at) as timestamp_ntz) as last_order_at
from {{ ref('int_order_facts') }}
group by customer_id
