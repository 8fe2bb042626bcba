"""The entity page of the embedded catalog: what DataHub's UI would show about one URN, as JSON.

Description, active incidents (the banner), assertions with their latest result, one hop of lineage
each way, owners, tags and links. Read through a read-only catalog handle so it never competes with the
Fixer for the Lite writer lock.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from oncall.catalog.base import Catalog
from oncall.catalog.types import Assertion, Entity, EntityRef, Incident, LineageNode
from oncall.web.markdown import entity_href

__all__ = ["AssertionStatus", "EntityPage", "Neighbour", "entity_page"]


class AssertionStatus(BaseModel):
    """An assertion with its newest run."""

    urn: str
    native_type: str
    description: str | None = None
    field: str | None = None
    result: str | None = None
    """SUCCESS / FAILURE / ERROR / INIT, None when never run."""
    actual_value: float | None = None
    row_count: int | None = None
    timestamp_ms: int | None = None
    referenced_dataset: str | None = None


class Neighbour(BaseModel):
    """An entity one lineage hop away."""

    urn: str
    type: str
    name: str
    instance: str | None = None
    href: str


class EntityPage(BaseModel):
    """Everything the `/entity` page renders."""

    entity: Entity
    href: str
    """Where this entity's own link goes (embedded page or DataHub UI)."""
    incidents: list[Incident] = Field(default_factory=list)
    """Active incidents naming this entity, newest first."""
    assertions: list[AssertionStatus] = Field(default_factory=list)
    upstream: list[Neighbour] = Field(default_factory=list)
    downstream: list[Neighbour] = Field(default_factory=list)


def _status(assertion: Assertion) -> AssertionStatus:
    run = assertion.latest
    return AssertionStatus(
        urn=assertion.urn,
        native_type=assertion.native_type,
        description=assertion.description,
        field=assertion.field,
        result=run.result if run else None,
        actual_value=run.actual_value if run else None,
        row_count=run.row_count if run else None,
        timestamp_ms=run.timestamp_ms if run else None,
        referenced_dataset=assertion.referenced_dataset,
    )


def _neighbour(ref: EntityRef, ui_url: str | None) -> Neighbour:
    return Neighbour(
        urn=ref.urn, type=ref.type, name=ref.name, instance=ref.instance, href=entity_href(ref.urn, ui_url)
    )


def _one_hop(nodes: list[LineageNode], ui_url: str | None) -> list[Neighbour]:
    return sorted((_neighbour(n.ref, ui_url) for n in nodes if n.hops == 1), key=lambda n: (n.type, n.name))


def entity_page(catalog: Catalog, urn: str, *, ui_url: str | None = None) -> EntityPage:
    """Read the page of `urn`; raises `NotFoundError` for an unknown URN."""
    entity = catalog.get(urn)
    incidents = catalog.incidents(urn, state="ACTIVE")
    assertions = catalog.assertions(urn, history=1) if entity.type == "dataset" else []
    return EntityPage(
        entity=entity,
        href=entity_href(urn, ui_url),
        incidents=incidents,
        assertions=sorted(
            (_status(a) for a in assertions), key=lambda a: (a.result != "FAILURE", a.native_type)
        ),
        upstream=_one_hop(catalog.lineage(urn, direction="upstream", hops=1), ui_url),
        downstream=_one_hop(catalog.lineage(urn, direction="downstream", hops=1), ui_url),
    )
