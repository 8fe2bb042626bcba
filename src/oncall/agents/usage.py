"""Model usage: which models a run loads, and what its model calls cost (tokens, round trips, time)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from oncall.agents._runtime import RunContext
from oncall.config import Config
from oncall.report.models import LLMUsage

if TYPE_CHECKING:
    from oncall.llm import ModelSet

__all__ = ["llm_usage", "load_models"]


def load_models(config: Config, preset: str) -> ModelSet | None:
    """The run's models, or None when no role can have one (plain offline: skip loading the model stack,
    which takes seconds to import and is not needed)."""
    if preset == "offline" and not config.llm and not config.llm_models and not config.llm_base_url:
        return None
    from oncall.llm import load_models as load

    return load(config, preset)


def llm_usage(ctx: RunContext, preset: str) -> LLMUsage:
    """Usage over every model call of the run (the ModelSet sums it as calls finish)."""
    if ctx.models is None:
        return LLMUsage(preset=preset)
    from oncall.llm import sequential_calls

    summary: LLMUsage = ctx.models.summary()
    records = ctx.models.usage.records
    summary.sequential_calls = sequential_calls(records)
    summary.critical_path_ms = round(_critical_path_s(records) * 1000, 2)
    return summary


def _critical_path_s(records: Sequence[Any]) -> float:
    """The longest chain of model calls that ran one after another (overlapping calls share time)."""
    ordered = sorted(records, key=lambda r: r.finished)
    best: list[float] = []
    for i, rec in enumerate(ordered):
        before = [best[j] for j in range(i) if ordered[j].finished <= rec.started]
        best.append(rec.elapsed_s + max(before, default=0.0))
    return max(best, default=0.0)
