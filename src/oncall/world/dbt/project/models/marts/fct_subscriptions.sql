-- Subscriptions with their plan and monthly recurring revenue (MRR).
select
    s.subscription_id,
    s.account_id,
    s.plan_id,
    p.tier,
    s.status,
    s.started_at,
    s.canceled_at,
    case when s.status = 'active' then p.monthly_price else 0 end as mrr
from {{ ref('stg_subscriptions') }} as s
left join {{ ref('stg_plans') }} as p on p.plan_id = s.plan_id
