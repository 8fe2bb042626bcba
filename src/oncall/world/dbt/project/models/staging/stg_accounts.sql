select
    account_id,
    trim(company_name) as company_name,
    upper(country) as country,
    lower(segment) as segment,
    cast(created_at as date) as created_at
from {{ source('raw', 'accounts') }}
