select
    plan_id,
    plan_name,
    lower(tier) as tier,
    cast(monthly_price as decimal(10, 2)) as monthly_price
from {{ source('raw', 'plans') }}
