-- One row per account with its subscription counts: the customer list Customer Success works from.
with subs as (
    select
        account_id,
        count(*) as subscriptions,
        count(*) filter (where status = 'active') as active_subscriptions
    from {{ ref('stg_subscriptions') }}
    group by account_id
)

select
    a.account_id,
    a.company_name,
    a.country,
    a.segment,
    a.created_at,
    coalesce(s.subscriptions, 0) as subscriptions,
    coalesce(s.active_subscriptions, 0) as active_subscriptions
from {{ ref('stg_accounts') }} as a
left join subs as s on s.account_id = a.account_id
