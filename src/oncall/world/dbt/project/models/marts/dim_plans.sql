select plan_id, plan_name, tier, monthly_price
from {{ ref('stg_plans') }}
