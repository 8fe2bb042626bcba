"""URNs of the demo world, identical in DataHub Lite and on a GMS server.

Datasets are ingested by DataHub's SQLAlchemy source with `platform: sqlite` and a platform instance, so
their names are `<instance>.main.<table>`; charts and dashboards of the BI layer live on `superset` with
names `<instance>.<id>`. The generic builders are `oncall.catalog.urns`; these fix the demo's platform
and schema.
"""

from __future__ import annotations

from oncall.catalog import urns
from oncall.world.bi import BI_PLATFORM

__all__ = ["DATASET_PLATFORM", "SCHEMA", "chart_urn", "dashboard_urn", "dataset_urn", "table_in"]

DATASET_PLATFORM = "sqlite"
SCHEMA = "main"


def dataset_urn(instance: str, table: str) -> str:
    """`urn:li:dataset:(urn:li:dataPlatform:sqlite,<instance>.main.<table>,PROD)`."""
    return urns.make_dataset_urn(DATASET_PLATFORM, f"{SCHEMA}.{table}", instance=instance)


def chart_urn(instance: str, chart_id: str) -> str:
    """`urn:li:chart:(superset,<instance>.<id>)`."""
    return urns.make_chart_urn(BI_PLATFORM, chart_id, instance=instance)


def dashboard_urn(instance: str, dash_id: str) -> str:
    """`urn:li:dashboard:(superset,<instance>.<id>)`."""
    return urns.make_dashboard_urn(BI_PLATFORM, dash_id, instance=instance)


def table_in(urn: str, instance: str) -> str | None:
    """The table of a demo dataset URN in `instance`; None for any other URN."""
    prefix = f"urn:li:dataset:(urn:li:dataPlatform:{DATASET_PLATFORM},{instance}.{SCHEMA}."
    if not urn.startswith(prefix) or not urn.endswith(")"):
        return None
    return urn[len(prefix) :].rsplit(",", 1)[0]
