"""Warm-up: the catalog reads the Detective and the Reality-Checker open with, started while the plan
call is in flight."""

from __future__ import annotations

import asyncio

from oncall.agents import candidates, reality_checker
from oncall.agents._runtime import RunContext

__all__ = ["warm_up"]


async def warm_up(ctx: RunContext, text: str, symptom_urn: str | None) -> None:
    """Start the agents' opening reads (the same calls, so their `tool` calls take the results).

    Returns once those are registered and the Detective's search is done, so the Detective's model call
    still starts first, as without the prefetch; a failed read is left for the agent whose call it is to
    report.
    """
    found = (
        None
        if symptom_urn
        else ctx.prefetch(
            candidates.search_candidates,
            ctx.catalog,
            text,
            production_instance=ctx.config.production_instance,
            vectors_dir=ctx.config.vectors_dir,
        )
    )
    scan, *scan_args = reality_checker.failing_call(ctx)
    failing = ctx.prefetch(scan, *scan_args)
    try:
        urns = sorted(await failing.value())
    except Exception:
        urns = []
    if urns:
        fn, *args, kwargs = reality_checker.diff_call(ctx, urns)
        ctx.prefetch(fn, *args, **kwargs)
    if found is not None:
        await asyncio.gather(found.task, return_exceptions=True)
