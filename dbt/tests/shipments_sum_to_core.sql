-- fct_fulfillment ships exactly what CORE.SHIPMENT_LINES shipped for known orders. Rows = failures.
select m.shipped, c.shipped
from (select sum(shipped_quantity) as shipped from {{ ref('fct_fulfillment') }}) as m,
     (select sum(s.quantity) as shipped from {{ source('core', 'shipment_lines') }} as s
      join {{ live('orders') }} as o on o.order_id = s.order_id) as c
where coalesce(m.shipped, 0) <> coalesce(c.shipped, 0)
