-- v2: paid_minor is renamed captured_minor (the word finance uses) and last_shipped_at is added.
select
    cast(order_id as number(38, 0)) as order_id,
    cast(customer_id as number(38, 0)) as customer_id,
    cast(order_status as varchar) as order_status,
    cast(payment_status as varchar) as payment_status,
    cast(fulfillment_status as varchar) as fulfillment_status,
    cast(reconciled_status as varchar) as reconciled_status,
    cast(currency as varchar) as currency,
    cast(total_amount_minor as number(38, 0)) as total_amount_minor,
    cast(captured_minor as number(38, 0)) as captured_minor,
    cast(refunded_minor as number(38, 0)) as refunded_minor,
    cast(payments as number(38, 0)) as payments,
    cast(ordered_quantity as number(38, 0)) as ordered_quantity,
    cast(shipped_quantity as number(38, 0)) as shipped_quantity,
    cast(last_shipped_at as timestamp_ntz) as last_shipped_at,
    cast(duplicate_of_order_id is not null as boolean) as is_duplicate,
    cast(duplicate_of_order_id as number(38, 0)) as duplicate_of_order_id,
    cast(reconciliation_code as varchar) as reconciliation_code,
    cast(last_finding as varchar) as last_finding,
    cast(created_at as timestamp_ntz) as created_at,
    {{ business_day('created_at') }} as business_date,
    cast('{{ var("gate_batch_id") }}' as varchar) as _gate_batch_id
from {{ ref('int_order_facts') }}
