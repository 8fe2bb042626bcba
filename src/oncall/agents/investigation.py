"""The investigation: the Detective and the Reality-Checker side by side, then the join of their findings
into root causes and origins (each with its lineage path)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from oncall.agents import detective, reality_checker
from oncall.agents._runtime import RunContext
from oncall.agents.root_cause import Analysis, analyse
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


def _ancestors(catalog: Catalog, urns: Sequence[str]) -> dict[str, set[str]]:
    """Full upstream lineage of each dataset (for the origin test)."""
    return {urn: {n.ref.urn for n in catalog.lineage(urn, direction="upstream")} for urn in urns}


async def join(
    ctx: RunContext, found: detective.DetectiveReport, reality: reality_checker.RealityReport
) -> tuple[Analysis, list[DiffEntry]]:
    """The analysis and the whole diff it used: the Reality-Checker's, plus the symptom itself and its
    upstream datasets when they lie outside the production datasets it covered."""
    assert found.symptom is not None
    diff = list(reality.diff)
    covered = set(reality.covered)
    scope = [found.symptom.urn] if found.symptom.type == "dataset" else []
    scope += [n.ref.urn for n in found.upstream if n.ref.type == "dataset"]
    extra = [u for u in dict.fromkeys(scope) if u not in covered]
    if extra:
        seen = {e.assertion_urn for e in diff}
        diff += [e for e in await reality_checker.diff_scope(ctx, extra) if e.assertion_urn not in seen]
    regressed = sorted({e.dataset_urn for e in diff if e.status == "regression"})
    ancestors = await ctx.tool("coordinator", "upstream_of_regressed", _ancestors, ctx.catalog, regressed)
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
