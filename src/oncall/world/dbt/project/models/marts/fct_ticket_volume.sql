-- Support tickets per month and priority: the support load report.
select
    date_trunc('month', opened_at) as month,
    priority,
    count(*) as tickets
from {{ ref('stg_tickets') }}
group by 1, 2
