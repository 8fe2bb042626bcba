"""URNs of the demo world, identical in DataHub Lite and on a GMS server.

Datasets are ingested by DataHub's SQLAlchemy source with `platform: sqlite` and a platform instance, so
their names are `<instance>.main.<table>`; charts and dashboards of the BI layer live on `superset` with
names `<instance>.<id>`. Building and parsing both sides here keeps every layer on the same strings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from oncall.catalog.types import EntityType
from oncall.errors import NotFoundError
from oncall.world.bi import BI_PLATFORM

__all__ = [
    "DATASET_PLATFORM",
    "ENV",
    "InvalidUrnError",
    "UrnParts",
    "chart_urn",
    "dashboard_urn",
    "dataset_urn",
    "entity_type_of",
    "group_urn",
    "in_instance",
    "instance_of",
    "parse_urn",
    "platform_instance_urn",
    "table_of",
    "tag_urn",
    "term_urn",
]

DATASET_PLATFORM = "sqlite"
ENV = "PROD"
SCHEMA = "main"

_DATASET = re.compile(r"^urn:li:dataset:\(urn:li:dataPlatform:([^,]+),(.+),([A-Z]+)\)$")
_BI = re.compile(r"^urn:li:(chart|dashboard):\(([^,]+),(.+)\)$")
_DATA_JOB = re.compile(r"^urn:li:dataJob:\(urn:li:dataFlow:\(([^,]+),(.+),([^,()]+)\),([^()]+)\)$")


class InvalidUrnError(NotFoundError, ValueError):
    """A string that is not a dataset, chart or dashboard URN."""


@dataclass(frozen=True)
class UrnParts:
    """The pieces of a dataset/chart/dashboard URN."""

    entity_type: EntityType
    platform: str
    name: str
    """The full name inside the URN, e.g. 'olist_dirty.main.olist_orders'."""
    instance: str | None
    short_name: str
    """Table name for datasets, id for charts and dashboards."""
    env: str | None = None


def dataset_urn(instance: str, table: str) -> str:
    """`urn:li:dataset:(urn:li:dataPlatform:sqlite,<instance>.main.<table>,PROD)`."""
    return f"urn:li:dataset:(urn:li:dataPlatform:{DATASET_PLATFORM},{instance}.{SCHEMA}.{table},{ENV})"


def chart_urn(instance: str, chart_id: str) -> str:
    """`urn:li:chart:(superset,<instance>.<id>)`."""
    return f"urn:li:chart:({BI_PLATFORM},{instance}.{chart_id})"


def dashboard_urn(instance: str, dash_id: str) -> str:
    """`urn:li:dashboard:(superset,<instance>.<id>)`."""
    return f"urn:li:dashboard:({BI_PLATFORM},{instance}.{dash_id})"


def platform_instance_urn(platform: str, instance: str) -> str:
    """`urn:li:dataPlatformInstance:(urn:li:dataPlatform:<platform>,<instance>)`."""
    return f"urn:li:dataPlatformInstance:(urn:li:dataPlatform:{platform},{instance})"


def tag_urn(name: str) -> str:
    """`urn:li:tag:<name>`."""
    return f"urn:li:tag:{name}"


def term_urn(term_id: str) -> str:
    """`urn:li:glossaryTerm:<id>`."""
    return f"urn:li:glossaryTerm:{term_id}"


def group_urn(group: str) -> str:
    """`urn:li:corpGroup:<group>`."""
    return f"urn:li:corpGroup:{group}"


def parse_urn(urn: str) -> UrnParts:
    """Split a dataset, chart or dashboard URN; raises `InvalidUrnError` for anything else.

    A dataset name of three or more dotted parts is `<instance>.<schema>.<table>`; of two parts it has
    no instance (DataHub omits it when none was configured).
    """
    match = _DATASET.match(urn)
    if match:
        platform, name, env = match.groups()
        parts = name.split(".")
        instance = parts[0] if len(parts) >= 3 else None
        return UrnParts("dataset", platform, name, instance, parts[-1], env)
    match = _DATA_JOB.match(urn)
    if match:  # urn:li:dataJob:(urn:li:dataFlow:(<orchestrator>,<flow>,<cluster>),<job>)
        orchestrator, flow, cluster, job = match.groups()
        return UrnParts("dataJob", orchestrator, f"{flow}.{job}", None, job, cluster)
    match = _BI.match(urn)
    if match:
        prefix, platform, name = match.groups()
        kind: EntityType = "chart" if prefix == "chart" else "dashboard"  # _BI matches only these two
        instance, sep, short = name.partition(".")
        if not sep:
            return UrnParts(kind, platform, name, None, name)
        return UrnParts(kind, platform, name, instance, short)
    raise InvalidUrnError(
        f"{urn!r} is not a dataset, chart or dashboard URN; expected e.g. "
        f"{dataset_urn('olist_dirty', 'olist_orders')}"
    )


def entity_type_of(urn: str) -> str | None:
    """'dataset', 'chart', 'dashboard', ... from the URN prefix (no validation of the rest)."""
    if not urn.startswith("urn:li:"):
        return None
    return urn[len("urn:li:") :].split(":", 1)[0] or None


def instance_of(urn: str) -> str | None:
    """The platform instance named in a dataset/chart/dashboard URN (None if it has none)."""
    return parse_urn(urn).instance


def table_of(urn: str) -> str:
    """The table (or view) name of a dataset URN, the id of a chart or dashboard URN."""
    return parse_urn(urn).short_name


def in_instance(urn: str, instance: str) -> str | None:
    """The URN the same table, chart or dashboard has in another platform instance.

    Only the name changes (`<instance>.main.<table>`, `<instance>.<id>`); None for URNs without one.
    Whether that entity exists is the catalog's question.
    """
    parts = parse_urn(urn)
    if parts.instance is None:
        return None
    name = instance + parts.name[len(parts.instance) :]
    if parts.entity_type == "dataset":
        return f"urn:li:dataset:(urn:li:dataPlatform:{parts.platform},{name},{parts.env})"
    return f"urn:li:{parts.entity_type}:({parts.platform},{name})"
