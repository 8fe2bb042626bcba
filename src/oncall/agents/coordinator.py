"""The Coordinator: plan, run the Detective and the Reality-Checker together, join their findings into a
path-grounded root cause and a blast radius, have the Fixer write back, and synthesise the postmortem.

This module orchestrates; each step lives in its own module: `planning`, `prefetch` (the warm-up beside
the plan call), `investigation` (the two agents and the join), `blast_radius`, `synthesis`, `delivery`
(postmortem file, Slack), `usage` (models and their cost), `undo` (reset).

Critical path in model calls: plan -> Detective (its search tool may add a turn) -> Fixer drafts and
the synthesis side by side. The Reality-Checker's narration runs beside the Detective. Every model step
has a deterministic twin; the run records which one produced each result.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from typing import Any, TypeVar

from oncall.agents import fixer
from oncall.agents._runtime import RunContext
from oncall.agents.blast_radius import blast_radius
from oncall.agents.delivery import finish_report
from oncall.agents.investigation import emit_analysis, investigate, join
from oncall.agents.planning import Plan, plan
from oncall.agents.prefetch import warm_up
from oncall.agents.synthesis import Synthesis, synthesise
from oncall.agents.undo import reset
from oncall.agents.usage import llm_usage, load_models
from oncall.catalog.backends import check_ready
from oncall.catalog.base import Catalog
from oncall.config import Config
from oncall.errors import UserError
from oncall.events import RunEvents, new_run_id
from oncall.gc_tuning import relaxed_collection
from oncall.quality.diff import BASELINE_MODES
from oncall.quality.models import BaselineMode
from oncall.report.models import RunResult
from oncall.report.postmortem import build_postmortem, default_summary
from oncall.report.quarantine import quarantine_snippet
from oncall.report.slack import draft_slack
from oncall.untrusted import Bounded, bound_incident

__all__ = ["Plan", "Synthesis", "new_run_id", "reset", "run_incident", "run_incident_sync"]

T = TypeVar("T")


async def _timed(timings: dict[str, float], phase: str, work: Awaitable[T]) -> T:
    started = time.perf_counter()
    try:
        return await work
    finally:
        timings[phase] = round((time.perf_counter() - started) * 1000, 2)


async def _loop(
    ctx: RunContext, result: RunResult, timings: dict[str, float], symptom_urn: str | None
) -> None:
    text = result.incident
    # Only a plan model call leaves time to overlap; offline, the agents read when they need to.
    warm = asyncio.ensure_future(warm_up(ctx, text, symptom_urn)) if ctx.model_for("coordinator") else None
    try:
        result.plan = await _timed(timings, "plan", plan(ctx, text))
    finally:
        if warm is not None:
            await warm
    found, reality, ahead = await _timed(timings, "investigate", investigate(ctx, text, symptom_urn))
    result.diff = reality.diff
    result.narrative = reality.narrative
    if found.symptom is None:
        result.verdict = "no_symptom"
        result.summary = found.message
        ctx.emit("coordinator", "message", {"summary": result.summary})
        ctx.emit("coordinator", "agent_finished", {"verdict": result.verdict})
        return
    result.symptom = found.symptom
    analysis, result.diff = await _timed(timings, "root_cause", join(ctx, found, reality, ahead))
    emit_analysis(ctx, analysis)
    result.scope = list(analysis.closure)
    result.root_causes = analysis.root_causes
    result.elsewhere = analysis.elsewhere
    result.verdict = "root_cause_found" if analysis.origins else "no_regression"
    origins = [rc.dataset_urn for rc in analysis.origins]
    if origins:  # the Fixer's read of the origins' checks goes out beside the blast radius
        fn, *args, kwargs = fixer.origin_checks_call(ctx, analysis.origins)
        ctx.prefetch(fn, *args, **kwargs)
    if origins:
        blast, names = await _timed(
            timings,
            "blast_radius",
            ctx.tool(
                "coordinator",
                "blast_radius",
                blast_radius,
                ctx.catalog,
                origins,
                summary=lambda found: {"count": len(found[0]), "items": [b.urn for b in found[0]]},
            ),
        )
        ctx.names.update(names)
        result.blast_radius = blast
    result.names = dict(ctx.names)
    result.summary = default_summary(result)
    (writes, draft), (summary, follow_ups) = await _timed(
        timings,
        "fix_and_synthesise",
        asyncio.gather(fixer.fix(ctx, result), synthesise(ctx, result)),
    )
    result.writes = writes
    result.summary = summary
    result.slack_message = draft.slack_message.strip() if draft else draft_slack(result, summary=summary)
    result.quarantine_snippet = quarantine_snippet(origins, gms_url=ctx.config.gms_url)
    finish_report(ctx, result, follow_ups)


def _incident_text(incident: str | None, symptom_urn: str | None) -> Bounded:
    """The bounded incident text; with a symptom URN the text may be empty (the URN stands in)."""
    bounded = bound_incident(incident or "")
    if symptom_urn is not None:
        from oncall.catalog.urns import parse_urn

        parse_urn(symptom_urn)  # InvalidUrnError (a UserError) for anything but a dataset/chart/dashboard
        return bounded if bounded.text else Bounded(f"incident on {symptom_urn}", bounded.dropped)
    if not bounded.text:
        raise UserError(
            'the incident text is empty; describe what looks wrong, e.g. "revenue dashboard wrong"'
        )
    return bounded


async def run_incident(
    incident: str | None = None,
    *,
    config: Config,
    events: RunEvents | None = None,
    dry_run: bool = False,
    llm_preset: str | None = None,
    symptom_urn: str | None = None,
    baseline: BaselineMode = "auto",
    history: bool = False,
    run_id: str | None = None,
    catalog: Catalog | None = None,
) -> RunResult:
    """Run the incident loop and return its result (emits `run_started` ... `run_finished` on `events`).

    Args:
        incident: the incident in the user's words (optional when `symptom_urn` is given).
        config: resolved settings.
        events: the run's event bus (a fresh one if None).
        dry_run: find and report, but write nothing to DataHub.
        llm_preset: model preset for this run (default `config.llm_preset`).
        symptom_urn: the symptom entity itself (e.g. a failing dataset): the Detective skips the search
            and uses it, after checking that it exists.
        baseline: `twin` (the baseline instance's twin), `history` (each assertion's own last passing
            run) or `auto` (per dataset: the twin when the baseline instance has one, else history).
        history: the old spelling of `baseline="history"`.
        run_id: the id to use (default: a new one).
        catalog: an open catalog to use (default: opened here and closed at the end).

    Raises:
        UserError: empty incident text, a bad or unknown symptom URN, `twin` with no baseline instance,
            no catalog set up, bad model configuration.
        CatalogError: DataHub failed mid-run (the events still end with `run_finished`).
    """
    bounded = _incident_text(incident, symptom_urn)
    text = bounded.text
    mode: BaselineMode = "history" if history else baseline
    if mode not in BASELINE_MODES:
        raise UserError(f"baseline must be one of {', '.join(BASELINE_MODES)}, not {mode!r}")
    if mode == "twin" and not config.baseline_instance:
        raise UserError(
            "baseline 'twin' needs a baseline instance: set baseline_instance (ONCALL_BASELINE), "
            "or use --baseline history"
        )
    preset = llm_preset or config.llm_preset or "offline"
    # In a thread: the local preset may start a model server (seconds) and the loop serves others.
    models = await asyncio.to_thread(load_models, config, preset)
    rid = run_id or new_run_id()
    bus = events or RunEvents(rid)
    started = time.perf_counter()
    owned = catalog is None
    if owned:
        check_ready(config)
        from oncall.catalog import open_catalog

        catalog = await asyncio.to_thread(open_catalog, config)
    assert catalog is not None
    ctx = RunContext(
        config=config, catalog=catalog, events=bus, models=models, dry_run=dry_run, baseline=mode
    )
    result = RunResult(
        run_id=rid,
        incident=text,
        dry_run=dry_run,
        started_at=time.time(),
        baseline_mode=mode,
        history=ctx.history,
    )
    bus.emit(
        "system",
        "run_started",
        {
            "incident": text,
            "dry_run": dry_run,
            "llm": preset,
            "baseline": mode,
            "history": ctx.history,
            "symptom_urn": symptom_urn,
            "catalog": catalog.backend,
        },
    )
    if models is not None and models.local_server is not None:
        bus.emit("system", "message", {"llm_server": models.local_server.as_dict()})
    for note in models.notes if models is not None else ():
        bus.emit("system", "message", {"text": f"models: {note}"})
        ctx.degraded.append(f"models: {note}")
    for note in bounded.dropped:  # said where the person looks: the lanes and the result
        bus.emit("system", "message", {"text": f"incident text: {note}"})
        ctx.degraded.append(f"input: incident text {note}")
    timings: dict[str, float] = {}
    with relaxed_collection():  # a run builds many small objects that live on (`gc_tuning`)
        try:
            await _loop(ctx, result, timings, symptom_urn)
        except Exception as exc:
            bus.emit("system", "error", {"message": str(exc), "type": type(exc).__name__})
            bus.emit("system", "run_finished", {"verdict": "failed", "summary": f"The run failed: {exc}"})
            raise
        finally:
            await ctx.settle()
            if owned:
                await asyncio.to_thread(catalog.close)
    timings["total"] = round((time.perf_counter() - started) * 1000, 2)
    _seal(ctx, result, timings, preset)
    bus.emit(
        "system",
        "run_finished",
        {
            "verdict": result.verdict,
            "summary": result.summary,
            "timings_ms": timings,
            "degraded": result.degraded,
        },
    )
    return result


def run_incident_sync(incident: str | None = None, **kwargs: Any) -> RunResult:
    """`run_incident` from synchronous code (the CLI, the eval, the benches): `asyncio.run` of it.

    The result goes back through a box, not as the main task's result: Python 3.11's `asyncio.run`
    formats its SIGINT handler (which holds the main task) into an error message when it restores
    the handler, and the task's repr includes its result; for a run on a 100k-dataset catalog that is
    0.4 s of repr nobody reads.
    """
    box: list[RunResult] = []

    async def main() -> None:
        box.append(await run_incident(incident, **kwargs))

    asyncio.run(main())
    return box[0]


def _seal(ctx: RunContext, result: RunResult, timings: dict[str, float], preset: str) -> None:
    result.timings_ms = timings
    result.degraded = [*ctx.degraded, *result.degraded]
    result.decided_by = dict(ctx.decided_by)
    result.names = {**ctx.names, **result.names}
    result.llm = llm_usage(ctx, preset)
    if not result.postmortem_markdown:  # no symptom: still a (short) report
        result.summary = result.summary or default_summary(result)
        result.postmortem_markdown = build_postmortem(result).to_markdown()
