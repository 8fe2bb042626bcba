select
    ticket_id,
    account_id,
    cast(opened_at as date) as opened_at,
    lower(priority) as priority
from {{ source('raw', 'tickets') }}
