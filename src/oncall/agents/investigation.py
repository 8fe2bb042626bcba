"""The investigation: the Detective and the Reality-Checker side by side, then the join of their findings
into root causes and origins (each with its lineage path)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

from oncall.agents import detective, reality_checker
from oncall.agents._runtime import RunContext
from oncall.agents.root_cause import Analysis, analyse, closure
from oncall.catalog.base import Catalog
from oncall.report.models import DiffEntry

__all__ = ["emit_analysis", "investigate", "join"]


async def investigate(
    ctx: RunContext, text: str, symptom_urn: str | None
) -> tuple[detective.DetectiveReport, reality_checker.RealityReport]:
    """The Detective's symptom and lineage, and the Reality-Checker's diff, run at the same time."""
    # Both finish before anything is raised, so no worker thread still reads a catalog being closed.
    found, reality = await asyncio.gather(
        detective.investigate(ctx, text, symptom_urn=symptom_urn),
        reality_checker.check(ctx),
        return_exceptions=True,
    )
    for outcome in (found, reality):
        if isinstance(outcome, BaseException):
            raise outcome
    assert isinstance(found, detective.DetectiveReport) and isinstance(reality, reality_checker.RealityReport)
    return found, reality


def _ancestors(
    catalog: Catalog, urns: Sequence[str], regressed: Sequence[str], fk_edges: Mapping[str, set[str]]
) -> dict[str, set[str]]:
    """Full upstream lineage of the regressed datasets the origin test can meet from `urns`: those, and
    any other regressed dataset a failing FK check leads to from there. One walk per round, over all of
    them at once (a round only when an FK check leads outside what was walked)."""
    wanted, known = set(urns), set(regressed)
    found: dict[str, set[str]] = {}
    while wanted - set(found):
        todo = sorted(wanted - set(found))
        graph = catalog.lineage_graph(todo, direction="upstream")
        found |= {urn: graph.reach(urn) for urn in todo}
        seen = set(found).union(*found.values())
        wanted |= {t for u in seen for t in fk_edges.get(u, ()) if t in known}
    return found


async def join(
    ctx: RunContext, found: detective.DetectiveReport, reality: reality_checker.RealityReport
) -> tuple[Analysis, list[DiffEntry]]:
    """The analysis and the whole diff it used: the Reality-Checker's, plus the symptom's own assertions
    and those of its upstream datasets that lie outside the production datasets it checked."""
    assert found.symptom is not None
    diff = list(reality.diff)
    diffed = {e.dataset_urn for e in diff}
    symptom = [found.symptom.urn] if found.symptom.type == "dataset" else []
    instance = ctx.config.production_instance
    unchecked = [
        n.ref.urn
        for n in found.upstream
        if n.ref.type == "dataset" and not reality_checker.covers(n.ref, instance)
    ]
    extra = [u for u in symptom if u not in diffed] + unchecked
    if extra:
        seen = {e.assertion_urn for e in diff}
        more = await reality_checker.diff_scope(ctx, list(dict.fromkeys(extra)))
        diff += [e for e in more if e.assertion_urn not in seen]
    # Only regressed datasets in the scope need their full upstream (the origin test); the others are
    # reported elsewhere whatever lies above them.
    regressions = [e for e in diff if e.status == "regression"]
    regressed = sorted({e.dataset_urn for e in regressions})
    in_scope = sorted(set(regressed) & set(closure(found.symptom.urn, found.upstream, diff)))
    fk_edges: dict[str, set[str]] = {}
    for e in regressions:
        if e.referenced_dataset:
            fk_edges.setdefault(e.dataset_urn, set()).add(e.referenced_dataset)
    ancestors = await ctx.tool(
        "coordinator", "upstream_of_regressed", _ancestors, ctx.catalog, in_scope, regressed, fk_edges
    )
    return analyse(found.symptom.urn, found.upstream, diff, ancestors), diff


def emit_analysis(ctx: RunContext, analysis: Analysis) -> None:
    """The Coordinator's findings: each root cause with its path, then what regressed elsewhere."""
    for rc in analysis.root_causes:
        ctx.emit(
            "coordinator",
            "finding",
            {
                "root_cause": rc.dataset_urn,
                "origin": rc.origin,
                "path": rc.lineage_path,
                "via": rc.via,
                "assertions": [a.native_type for a in rc.assertions],
                "confidence": rc.confidence,
            },
        )
    if analysis.elsewhere:
        ctx.emit(
            "coordinator",
            "finding",
            {
                "elsewhere": [
                    {"dataset": e.dataset_urn, "assertion": e.native_type} for e in analysis.elsewhere
                ]
            },
        )
