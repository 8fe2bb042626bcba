"""DataHub URNs of any platform: build and parse datasets, charts and dashboards as DataHub writes them.

A dataset name has 1..n dotted parts (`table`, `db.table`, `db.schema.table`, ...). DataHub prefixes it
with the platform instance when one was configured at ingestion, but a name alone never tells whether
its first part is an instance or a database: the instance comes only from the entity's
`dataPlatformInstance` aspect (the catalog adapters read it) or from configuration. So `parse_urn`
names no instance, and `in_instance` is told the entity's own instance.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from oncall.catalog.types import EntityType
from oncall.errors import UserError

__all__ = [
    "ACTOR",
    "ENV",
    "InvalidUrnError",
    "UrnParts",
    "entity_type_of",
    "group_urn",
    "in_instance",
    "make_chart_urn",
    "make_dashboard_urn",
    "make_dataset_urn",
    "parse_urn",
    "platform_instance_urn",
    "table_of",
    "tag_urn",
    "term_urn",
]

ENV = "PROD"
ACTOR = "urn:li:corpuser:datahub-oncall"
"""Who the product's own writes are stamped with: the incidents it raises, the links it adds."""

_DATASET = re.compile(r"^urn:li:dataset:\(urn:li:dataPlatform:([^,]+),(.+),([A-Z]+)\)$")
_BI = re.compile(r"^urn:li:(chart|dashboard):\(([^,]+),(.+)\)$")
_DATA_JOB = re.compile(r"^urn:li:dataJob:\(urn:li:dataFlow:\(([^,]+),(.+),([^,()]+)\),([^()]+)\)$")
_EXAMPLE = "urn:li:dataset:(urn:li:dataPlatform:snowflake,analytics.public.orders,PROD)"


class InvalidUrnError(UserError, ValueError):
    """A string that is not a dataset, chart or dashboard URN (bad input, exit 2)."""


@dataclass(frozen=True)
class UrnParts:
    """The pieces of a dataset/chart/dashboard URN."""

    entity_type: EntityType
    platform: str
    name: str
    """The full name inside the URN, e.g. 'analytics.public.orders' (instance prefix included)."""
    short_name: str
    """The last dotted part: the table for datasets, the id for charts and dashboards."""
    env: str | None = None


def _prefixed(name: str, instance: str | None) -> str:
    return f"{instance}.{name}" if instance else name


def make_dataset_urn(platform: str, name: str, *, instance: str | None = None, env: str = ENV) -> str:
    """`urn:li:dataset:(urn:li:dataPlatform:<platform>,[<instance>.]<name>,<env>)` (DataHub's form)."""
    return f"urn:li:dataset:(urn:li:dataPlatform:{platform},{_prefixed(name, instance)},{env})"


def make_chart_urn(platform: str, chart_id: str, *, instance: str | None = None) -> str:
    """`urn:li:chart:(<platform>,[<instance>.]<id>)`."""
    return f"urn:li:chart:({platform},{_prefixed(chart_id, instance)})"


def make_dashboard_urn(platform: str, dash_id: str, *, instance: str | None = None) -> str:
    """`urn:li:dashboard:(<platform>,[<instance>.]<id>)`."""
    return f"urn:li:dashboard:({platform},{_prefixed(dash_id, instance)})"


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
    """Split a dataset, chart or dashboard URN; raises `InvalidUrnError` for anything else."""
    match = _DATASET.match(urn)
    if match:
        platform, name, env = match.groups()
        return UrnParts("dataset", platform, name, name.rsplit(".", 1)[-1], env)
    match = _DATA_JOB.match(urn)
    if match:  # urn:li:dataJob:(urn:li:dataFlow:(<orchestrator>,<flow>,<cluster>),<job>)
        orchestrator, flow, cluster, job = match.groups()
        return UrnParts("dataJob", orchestrator, f"{flow}.{job}", job, cluster)
    match = _BI.match(urn)
    if match:
        prefix, platform, name = match.groups()
        kind: EntityType = "chart" if prefix == "chart" else "dashboard"  # _BI matches only these two
        return UrnParts(kind, platform, name, name.rsplit(".", 1)[-1])
    raise InvalidUrnError(f"{urn!r} is not a dataset, chart or dashboard URN; expected e.g. {_EXAMPLE}")


def entity_type_of(urn: str) -> str | None:
    """'dataset', 'chart', 'dashboard', ... from the URN prefix (no validation of the rest)."""
    if not urn.startswith("urn:li:"):
        return None
    return urn[len("urn:li:") :].split(":", 1)[0] or None


def table_of(urn: str) -> str:
    """The table (or view) name of a dataset URN, the id of a chart or dashboard URN."""
    return parse_urn(urn).short_name


def in_instance(urn: str, instance: str | None, *, current: str | None = None) -> str | None:
    """The URN the same table, chart or dashboard has in platform instance `instance` (None: none).

    `current` is the entity's own instance (from its `dataPlatformInstance` aspect): DataHub prefixes
    the name with it, so moving swaps that prefix. None when the name does not carry `current`.
    Whether the other entity exists is the catalog's question.
    """
    parts = parse_urn(urn)
    if current == instance:
        return urn
    rest = parts.name
    if current:
        if not rest.startswith(f"{current}."):
            return None
        rest = rest[len(current) + 1 :]
    if parts.entity_type == "dataset":
        return make_dataset_urn(parts.platform, rest, instance=instance, env=parts.env or ENV)
    if parts.entity_type == "chart":
        return make_chart_urn(parts.platform, rest, instance=instance)
    return make_dashboard_urn(parts.platform, rest, instance=instance)
