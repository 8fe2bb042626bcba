"""The blast radius: everything downstream of the origins, each entity once, with its owners and the
origins that reach it. Self-contained (a catalog in, entries out) so the MCP tool and the loop share it."""

from __future__ import annotations

from collections.abc import Sequence

from oncall.catalog.base import Catalog
from oncall.catalog.types import Entity, LineageNode
from oncall.errors import NotFoundError
from oncall.report.models import BlastRadiusEntry

__all__ = ["blast_radius"]

_TYPE_ORDER = {"dataset": 0, "chart": 1, "dashboard": 2}


def blast_radius(catalog: Catalog, origins: Sequence[str]) -> tuple[list[BlastRadiusEntry], dict[str, str]]:
    """Downstream closure of every origin, each entity once, with owners and the origins reaching it.

    Returns the entries (datasets, then charts, then dashboards, by name) and each entry's name by URN.
    """
    reached: dict[str, tuple[LineageNode, list[str]]] = {}
    for origin in origins:
        for node in catalog.lineage(origin, direction="downstream"):
            entry = reached.setdefault(node.ref.urn, (node, []))
            entry[1].append(origin)
    out: list[BlastRadiusEntry] = []
    names: dict[str, str] = {}
    for urn, (node, via) in reached.items():
        try:
            entity: Entity | None = catalog.get(urn)
        except NotFoundError:
            entity = None
        owners = [o.urn for o in entity.owners] if entity else []
        names[urn] = node.ref.name
        out.append(
            BlastRadiusEntry(urn=urn, type=node.ref.type, name=node.ref.name, owners=owners, origins=via)
        )
    out.sort(key=lambda b: (_TYPE_ORDER.get(b.type, 3), b.name, b.urn))
    return out, names
