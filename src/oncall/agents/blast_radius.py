"""The blast radius: everything downstream of the origins, each entity once, with its owners and the
origins that reach it. Self-contained (a catalog in, entries out) so the MCP tool and the loop share it."""

from __future__ import annotations

from collections.abc import Sequence

from oncall.catalog.base import Catalog
from oncall.catalog.types import trusted
from oncall.report.models import BlastRadiusEntry

__all__ = ["blast_radius"]

_TYPE_ORDER = {"dataset": 0, "chart": 1, "dashboard": 2}


def blast_radius(catalog: Catalog, origins: Sequence[str]) -> tuple[list[BlastRadiusEntry], dict[str, str]]:
    """Downstream closure of every origin, each entity once, with owners and the origins reaching it.

    One downstream walk from all origins at once (not one per origin), then every reached entity's
    owners in bulk. Returns the entries (datasets, then charts, then dashboards, by name) and each
    entry's name by URN.
    """
    if not origins:
        return [], {}
    graph = catalog.lineage_graph(origins, direction="downstream")
    reached = graph.reached_by(origins)
    owners = catalog.owners_many(list(reached))
    out: list[BlastRadiusEntry] = []
    names: dict[str, str] = {}
    for urn, via in reached.items():
        ref = graph.refs[urn]
        names[urn] = ref.name
        # Fields from the catalog's refs and owner lists, already typed: no validation per entry (thousands).
        entry = trusted(
            BlastRadiusEntry, urn=urn, type=ref.type, name=ref.name, owners=owners[urn], origins=via
        )
        out.append(entry)
    out.sort(key=lambda b: (_TYPE_ORDER.get(b.type, 3), b.name, b.urn))
    return out, names
