"""The dbt world: a small subscription (SaaS) business as a real dbt project on DuckDB.

Not Olist: accounts, plans, subscriptions, invoices, payments and support tickets; staging views and
mart tables with `unique`, `not_null`, `accepted_values` and `relationships` tests, owners and
descriptions in schema.yml. `build_dbt_world(home)` builds it with dbt-core + dbt-duckdb twice (a
passing run, then a failing run after faults are planted in the raw data) and writes one DataHub dbt
recipe per run for `oncall ingest`. This package knows nothing of DataHub beyond the recipe.
"""

from __future__ import annotations

from oncall.world.dbt.build import DbtRun, DbtWorldSummary, build_dbt_world, load_dbt_summary, world_dir

__all__ = ["DbtRun", "DbtWorldSummary", "build_dbt_world", "load_dbt_summary", "world_dir"]
