-- One row per order in CORE.ORDERS with its payments, refunds, disputes, lines and shipments: the shared body
-- of every version of fct_orders. Money in minor units of the order's currency; timestamps UTC.
with paid as (
    select p.order_id,
           {{ sum_minor('coalesce(p.amount_captured, 0)') }} as captured_minor,
           count(*) as payments,
           count_if(p.currency is distinct from o.currency and coalesce(p.amount_captured, 0) > 0) as foreign_payments
    from {{ source('core', 'payments') }} as p
    join {{ live('orders') }} as o on o.order_id = p.order_id
    group by p.order_id
),
refunded as (
    select p.order_id, {{ sum_minor('r.amount') }} as refunded_minor,
           count_if(r.currency is distinct from o.currency) as foreign_refunds
    from {{ source('core', 'refunds') }} as r
    join {{ source('core', 'payments') }} as p on p.payment_intent_id = r.payment_intent_id
    join {{ live('orders') }} as o on o.order_id = p.order_id
    where r.status = 'succeeded'
    group by p.order_id
),
lost as (
    select p.order_id, count(*) as disputes_lost
    from {{ source('core', 'disputes') }} as d
    join {{ source('core', 'payments') }} as p on p.payment_intent_id = d.payment_intent_id
    where d.status = 'lost'
    group by p.order_id
),
ordered as (
    select order_id, {{ sum_minor('quantity') }} as ordered_quantity
    from {{ live('order_lines') }}
    group by order_id
),
shipped as (
    select order_id, {{ sum_minor('quantity') }} as shipped_quantity, max(shipped_at) as last_shipped_at
    from {{ source('core', 'shipment_lines') }}
    group by order_id
),
duplicates as (
    select order_id, min(duplicate_of) as duplicate_of_order_id
    from {{ source('ops', 'duplicate_candidates') }}
    where rule_id = 'duplicates.same_purchase'
    group by order_id
),
facts as (
    select o.order_id, o.customer_id, o.status as order_status, o.currency, o.total_amount_minor,
           o.created_at, o._loaded_at,
           coalesce(paid.captured_minor, 0) as captured_minor,
           coalesce(refunded.refunded_minor, 0) as refunded_minor,
           coalesce(paid.payments, 0) as payments,
           coalesce(paid.foreign_payments, 0) + coalesce(refunded.foreign_refunds, 0) as foreign_amounts,
           coalesce(lost.disputes_lost, 0) as disputes_lost,
           coalesce(ordered.ordered_quantity, 0) as ordered_quantity,
           coalesce(shipped.shipped_quantity, 0) as shipped_quantity,
           shipped.last_shipped_at,
           duplicates.duplicate_of_order_id,
           case when o.status in ('paid', 'shipped', 'delivered') then o.total_amount_minor
                when o.status in ('cancelled', 'refunded') then 0 end as expected_minor
    from {{ live('orders') }} as o
    left join paid on paid.order_id = o.order_id
    left join refunded on refunded.order_id = o.order_id
    left join lost on lost.order_id = o.order_id
    left join ordered on ordered.order_id = o.order_id
    left join shipped on shipped.order_id = o.order_id
    left join duplicates on duplicates.order_id = o.order_id
),
findings as (
    select order_id, reason, _found_at,
           row_number() over (partition by order_id order by _found_at desc, reason) as newest
    from {{ source('ops', 'order_reconciliation') }}
    where order_id is not null and reason <> 'payment_without_order'
),
states as (
    select f.*,
           -- the consistency gate's rule (sql/consistency/create_order_amounts.sql), on the whole history
           case
               when expected_minor is null then 'not_compared'
               when foreign_amounts > 0 then 'currency_mismatch'
               when captured_minor - refunded_minor = expected_minor then 'matched'
               when captured_minor = 0 then 'unpaid'
               when refunded_minor > 0 and (captured_minor - refunded_minor < expected_minor or expected_minor = 0)
                   then 'partially_refunded'
               when captured_minor - refunded_minor > expected_minor then 'overpaid'
               else 'underpaid'
           end as reconciliation_code,
           case
               when disputes_lost > 0 then 'disputed_lost'
               when captured_minor = 0 then 'unpaid'
               when refunded_minor >= captured_minor then 'refunded'
               when refunded_minor > 0 then 'partially_refunded'
               else 'paid'
           end as payment_status,
           case
               when shipped_quantity = 0 then 'unshipped'
               when ordered_quantity = 0 or shipped_quantity = ordered_quantity then 'shipped'
               when shipped_quantity < ordered_quantity then 'partial'
               else 'over_shipped'
           end as fulfillment_status
    from facts as f
)
select s.*,
       case
           when s.duplicate_of_order_id is not null then 'duplicate'
           when s.order_status = 'cancelled' then 'cancelled'
           when s.order_status = 'refunded' or s.payment_status = 'refunded' then 'refunded'
           when s.payment_status = 'disputed_lost' then 'disputed'
           when s.order_status = 'delivered' then 'delivered'
           when s.fulfillment_status = 'partial' then 'partially_shipped'
           when s.fulfillment_status in ('shipped', 'over_shipped') then 'shipped'
           when s.payment_status in ('paid', 'partially_refunded') or s.order_status = 'paid' then 'paid'
           else 'pending'
       end as reconciled_status,
       findings.reason as last_finding
from states as s
left join findings on findings.order_id = s.order_id and findings.newest = 1 and findings._found_at >= s._loaded_at
