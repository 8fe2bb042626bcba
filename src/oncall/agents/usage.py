"""Model usage: which models a run loads, and what its model calls cost (tokens, round trips, time)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from oncall.agents._runtime import RunContext
from oncall.config import Config
from oncall.report.models import LLMUsage

if TYPE_CHECKING:
    from oncall.llm import ModelSet

__all__ = ["llm_usage", "load_models"]


def load_models(config: Config, preset: str) -> ModelSet | None:
    """The run's models, or None when no role can have one (plain offline: skip loading the model stack,
    which takes seconds to import and is not needed)."""
    if preset == "offline" and not (
        config.llm or config.llm_models or config.llm_base_url or config.llm_detective_lora
    ):
        return None
    from oncall.llm import load_models as load

    return load(config, preset)


def llm_usage(ctx: RunContext, preset: str) -> LLMUsage:
    """Usage over every model call of the run (the ModelSet sums it as calls finish)."""
    if ctx.models is None:
        return LLMUsage(preset=preset)
    from oncall.llm import critical_path_s, sequential_calls

    summary: LLMUsage = ctx.models.summary()
    records = ctx.models.usage.records
    summary.sequential_calls = sequential_calls(records)
    summary.critical_path_ms = round(critical_path_s(records) * 1000, 2)
    return summary
