"""The investigation: the Detective and the Reality-Checker side by side, then the join of their findings
into root causes and origins (each with its lineage path)."""

from __future__ import annotations

import asyncio
import functools

from oncall.agents import detective, reality_checker
from oncall.agents._runtime import RunContext
from oncall.agents.ahead import Ahead, read_ahead, reads_ahead
from oncall.agents.ancestry import ancestors, walk_of
from oncall.agents.root_cause import Analysis, analyse
from oncall.report.models import DiffEntry

__all__ = ["emit_analysis", "investigate", "join"]


async def investigate(
    ctx: RunContext, text: str, symptom_urn: str | None
) -> tuple[detective.DetectiveReport, reality_checker.RealityReport, Ahead | None]:
    """The Detective's symptom and lineage, and the Reality-Checker's diff, run at the same time. On a
    server, when the scan of failing checks is still paging once the Detective has the scope, the
    join's reads are read ahead from that scope meanwhile (`ahead`): taken if done by the scan's end, or
    waited for if its walk (the join's own) is on its way then."""
    scan = asyncio.ensure_future(reality_checker.check(ctx))
    reading: asyncio.Future[Ahead | None] | None = None
    ahead = Ahead()
    try:
        found = await detective.investigate(ctx, text, symptom_urn=symptom_urn)
        if found.symptom is not None and not scan.done() and reads_ahead(ctx):
            reading = ctx.spawn(read_ahead(ctx, found, until=scan, ahead=ahead))
    finally:
        # The scan finishes before anything is raised, so no worker thread still reads a catalog being
        # closed (`settle` waits for the read ahead).
        reality = (await asyncio.gather(scan, return_exceptions=True))[0]
    if isinstance(reality, BaseException):
        raise reality
    if reading is not None and ahead.committed:
        await asyncio.wait([reading])
    taken = reading.result() if reading is not None and reading.done() and not reading.exception() else None
    return found, reality, taken


async def join(
    ctx: RunContext,
    found: detective.DetectiveReport,
    reality: reality_checker.RealityReport,
    ahead: Ahead | None = None,
) -> tuple[Analysis, list[DiffEntry]]:
    """The analysis and the whole diff it used: the Reality-Checker's, plus the symptom's own assertions
    and those of its upstream datasets that lie outside the production datasets it checked. What was
    read ahead (`ahead`) answers the same reads."""
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
    extra = list(dict.fromkeys([u for u in symptom if u not in diffed] + unchecked))
    if extra:
        seen = {e.assertion_urn for e in diff}
        more = ahead.diff_of(extra) if ahead else None
        if more is None:
            more = await reality_checker.diff_scope(ctx, extra)
        diff += [e for e in more if e.assertion_urn not in seen]
    in_scope, regressed, fk_edges = walk_of(found.symptom.urn, found.upstream, diff)
    walk = functools.partial(ancestors, known=ahead.upstream) if ahead else ancestors
    upstream = await ctx.tool(
        "coordinator", "upstream_of_regressed", walk, ctx.catalog, in_scope, regressed, fk_edges
    )
    return analyse(found.symptom.urn, found.upstream, diff, upstream), diff


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
