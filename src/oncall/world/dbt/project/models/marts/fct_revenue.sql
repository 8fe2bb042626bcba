-- Invoiced and collected revenue per month and plan tier: the revenue report.
select
    date_trunc('month', i.invoice_date) as month,
    coalesce(s.tier, 'unknown') as tier,
    sum(i.amount) as invoiced,
    sum(i.paid_amount) as collected,
    sum(i.outstanding) as outstanding
from {{ ref('fct_invoices') }} as i
left join {{ ref('fct_subscriptions') }} as s on s.subscription_id = i.subscription_id
group by 1, 2
