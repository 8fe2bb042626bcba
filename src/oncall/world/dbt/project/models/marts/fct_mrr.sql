-- Monthly recurring revenue per plan tier: the MRR report finance reads every Monday.
select
    coalesce(tier, 'unknown') as tier,
    count(*) filter (where status = 'active') as active_subscriptions,
    sum(mrr) as mrr
from {{ ref('fct_subscriptions') }}
group by 1
