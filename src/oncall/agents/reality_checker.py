"""The Reality-Checker: what do the quality assertions say, production against its baseline?

It runs while the Detective is still resolving the symptom, so it cannot wait for the scope: it checks
every production dataset (those of the production instance, or every dataset when none is configured;
that is also what lets the Coordinator report regressions *elsewhere*). Only a check whose latest run
fails can be a regression or already failing, so one catalog query finds every such assertion
(`Catalog.failing_assertions`) and only their datasets are diffed, each whole; the Coordinator adds the
symptom's own. The baseline is picked per dataset (`oncall.quality.diff.diff_datasets`): the twin in
the baseline instance when there is one, else each assertion's own history. The diff is deterministic;
a model, when configured, only narrates it, and its narration may not name an URN the diff does not
contain.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field

from oncall.agents._runtime import RunContext, reject
from oncall.catalog.types import EntityRef
from oncall.report.models import DiffEntry
from oncall.report.postmortem import display_name

__all__ = ["Narration", "RealityReport", "check", "diff_scope", "narrate", "narrate_with_model"]

_URN = re.compile(r"urn:li:[A-Za-z]+:[^\s,;]*(?:\([^)]*\))?")

SYSTEM = """You are the Reality-Checker of a data-incident team. You receive the result of a deterministic
comparison of data-quality assertions between a clean baseline and production. Explain it in 2-4
sentences for an on-call engineer: what regressed (fails in production, passes in the baseline), with the
observed numbers, and what was already failing. Do not speculate about causes beyond the data and never
mention a URN that is not in the input."""


@dataclass
class RealityReport:
    """What the Reality-Checker hands the Coordinator."""

    diff: list[DiffEntry] = field(default_factory=list)
    narrative: str = ""


def covers(ref: EntityRef, production_instance: str | None) -> bool:
    """True if `check` covered this lineage node: a dataset of the production instance (any dataset
    when none is configured). Those absent from the diff have no assertion whose latest run fails, so
    nothing there regressed or already failed. Told from the node itself: listing every production
    dataset to ask would cost a whole-catalog read (a scroll on a server) per run."""
    return ref.type == "dataset" and (production_instance is None or ref.instance == production_instance)


class Narration(BaseModel):
    """The Reality-Checker model's account of the diff."""

    text: str = Field(description="2-4 sentences about the regressions and other failures")


def diff_call(ctx: RunContext, dataset_urns: Sequence[str]) -> tuple[Any, ...]:
    """The diff call for these datasets as (function, *args, kwargs): the prefetch and `diff_scope`
    must issue the very same call for the prefetched result to be taken."""
    from oncall.quality import diff as quality_diff  # the quality layer may be slow to import

    return (
        quality_diff.diff_datasets,
        ctx.catalog,
        list(dataset_urns),
        {
            "mode": ctx.baseline,
            "baseline_instance": ctx.config.baseline_instance,
            "production_instance": ctx.config.production_instance,
        },
    )


async def diff_scope(ctx: RunContext, dataset_urns: Sequence[str]) -> list[DiffEntry]:
    """The assertion diff for these production datasets (each against its twin or its own history)."""
    if not dataset_urns:
        return []
    fn, *args, kwargs = diff_call(ctx, dataset_urns)
    return await ctx.tool("reality_checker", "diff", fn, *args, **kwargs)


def _against(diff: Sequence[DiffEntry]) -> str:
    kinds = {e.baseline_kind for e in diff}
    if kinds == {"history"}:
        return "its own last passing run"
    if kinds == {"twin"}:
        return "the clean baseline"
    return "the clean baseline where a twin exists, else its own last passing run"


def narrate(diff: Sequence[DiffEntry]) -> str:
    """The deterministic narration of the check's diff (it holds the production datasets with a failing
    latest run): counts by status, then each regression with its numbers."""
    if not diff:
        return "No assertion fails its latest run on any production dataset."
    counts = Counter(e.status for e in diff)
    against = _against(diff)
    datasets = len({e.dataset_urn for e in diff})
    where = f"the {datasets} production dataset{'s' if datasets != 1 else ''} with a failing latest run"
    parts = [
        f"Compared {len(diff)} assertions on {where} against {against}: "
        f"{counts['regression']} regressed, {counts['pre-existing']} already failing, "
        f"{counts['recovered']} recovered, {counts['unchanged']} unchanged."
    ]
    for e in (e for e in diff if e.status == "regression"):
        basis = "last passing run" if e.baseline_kind == "history" else "baseline"
        parts.append(
            f"{display_name(e.dataset_urn)}.{e.native_type} fails with {_num(e.production.value)} "
            f"({basis} {_num(e.baseline.value)}, {e.baseline.result or 'no run'})."
        )
    return " ".join(parts)


def _num(value: float | None) -> str:
    if value is None:
        return "n/a"
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def failing_call(ctx: RunContext) -> tuple[Any, ...]:
    """The scan for failing assertions as (function, *args): shared with the prefetch, as `diff_call`."""
    return (ctx.catalog.failing_assertions, ctx.config.production_instance)


async def check(ctx: RunContext) -> RealityReport:
    """Check every production dataset, diff those with a failing assertion and narrate the result."""
    ctx.emit("reality_checker", "agent_started", {"task": "diff the assertions, production vs baseline"})
    failing = await ctx.tool("reality_checker", "failing_assertions", *failing_call(ctx))
    diff = await diff_scope(ctx, sorted(failing))
    regressions = [e for e in diff if e.status == "regression"]
    ctx.emit(
        "reality_checker",
        "finding",
        {
            "asserted": len({e.dataset_urn for e in diff}),
            "assertions": len(diff),
            "regressions": [
                {
                    "dataset": e.dataset_urn,
                    "assertion": e.native_type,
                    "production": e.production.value,
                    "baseline": e.baseline.value,
                }
                for e in regressions
            ],
        },
    )
    narrative = await narrate_with_model(ctx, diff)
    ctx.emit("reality_checker", "agent_finished", {"regressions": len(regressions)})
    return RealityReport(diff=diff, narrative=narrative)


async def narrate_with_model(ctx: RunContext, diff: Sequence[DiffEntry]) -> str:
    """The model's narration when it passes the checks, else the deterministic one."""
    fallback = narrate(diff)
    known = {e.dataset_urn for e in diff} | {e.assertion_urn for e in diff}

    def only_known_urns(answer: Narration) -> None:
        unknown = [u for u in _URN.findall(answer.text) if u not in known]
        if unknown:
            reject(f"{unknown[0]} is not in the diff; mention only URNs from the input")
        if not answer.text.strip():
            reject("the narration is empty")

    lines = [
        f"{e.status}: {e.dataset_urn} {e.native_type} "
        f"production={e.production.result}/{_num(e.production.value)} "
        f"baseline={e.baseline.result}/{_num(e.baseline.value)}"
        for e in diff
        if e.status != "unchanged"
    ]
    prompt = fallback + "\n\nNon-unchanged assertions:\n" + ("\n".join(lines) or "(none)")
    answer = await ctx.ask(
        "reality_checker", "narrative", SYSTEM, prompt, Narration, validators=[only_known_urns]
    )
    text = answer.text.strip() if answer else fallback
    ctx.emit(
        "reality_checker", "message", {"narrative": text, "decided_by": "model" if answer else "procedure"}
    )
    return text
