select
    invoice_id,
    subscription_id,
    cast(invoice_date as date) as invoice_date,
    cast(amount as decimal(12, 2)) as amount,
    upper(currency) as currency
from {{ source('raw', 'invoices') }}
