select
    subscription_id,
    account_id,
    plan_id,
    lower(status) as status,
    cast(started_at as date) as started_at,
    cast(canceled_at as date) as canceled_at
from {{ source('raw', 'subscriptions') }}
