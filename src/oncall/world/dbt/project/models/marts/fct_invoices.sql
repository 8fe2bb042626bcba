-- Invoices with what was paid against them and what is still outstanding.
with paid as (
    select invoice_id, sum(amount) as paid_amount, count(*) as payments
    from {{ ref('stg_payments') }}
    group by invoice_id
)

select
    i.invoice_id,
    i.subscription_id,
    i.invoice_date,
    i.amount,
    i.currency,
    coalesce(p.paid_amount, 0) as paid_amount,
    coalesce(p.payments, 0) as payments,
    i.amount - coalesce(p.paid_amount, 0) as outstanding
from {{ ref('stg_invoices') }} as i
left join paid as p on p.invoice_id = i.invoice_id
