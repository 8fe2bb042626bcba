"""The origin test's input: the full upstream lineage of the regressed datasets in scope, read from the
catalog (the symptom's paths alone miss a regressed dataset's other parents)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from oncall.agents.root_cause import closure
from oncall.catalog.base import Catalog
from oncall.catalog.types import LineageNode
from oncall.report.models import DiffEntry

__all__ = ["Walk", "ancestors", "walk_of"]

Walk = tuple[list[str], list[str], dict[str, set[str]]]
"""What the walk starts from: the regressed datasets in scope, every regressed dataset, and each
dataset's failing FK checks' referenced datasets."""


def walk_of(symptom_urn: str, upstream: Sequence[LineageNode], diff: Sequence[DiffEntry]) -> Walk:
    """The walk this diff asks for. Only regressed datasets in scope need their full upstream; the
    others are reported elsewhere whatever lies above them."""
    regressions = [e for e in diff if e.status == "regression"]
    regressed = sorted({e.dataset_urn for e in regressions})
    in_scope = sorted(set(regressed) & set(closure(symptom_urn, upstream, diff)))
    fk_edges: dict[str, set[str]] = {}
    for e in regressions:
        if e.referenced_dataset:
            fk_edges.setdefault(e.dataset_urn, set()).add(e.referenced_dataset)
    return in_scope, regressed, fk_edges


def ancestors(
    catalog: Catalog,
    urns: Sequence[str],
    regressed: Sequence[str],
    fk_edges: Mapping[str, set[str]],
    known: Mapping[str, set[str]] | None = None,
) -> dict[str, set[str]]:
    """Full upstream lineage of the regressed datasets the origin test can meet from `urns`: those, and
    any other regressed dataset a failing FK check leads to from there. One walk per round, over all of
    them at once (a round only when an FK check leads outside what was walked).

    `known`: upstreams already walked (a dataset's full upstream is the same whatever walk found it), so
    only the rest is read.
    """
    wanted, have, cache = set(urns), set(regressed), known or {}
    found: dict[str, set[str]] = {}
    while wanted - set(found):
        todo = sorted(wanted - set(found))
        found |= {urn: cache[urn] for urn in todo if urn in cache}
        if rest := [urn for urn in todo if urn not in cache]:
            graph = catalog.lineage_graph(rest, direction="upstream")
            found |= {urn: graph.reach(urn) for urn in rest}
        seen = set(found).union(*found.values())
        wanted |= {t for u in seen for t in fk_edges.get(u, ()) if t in have}
    return found
