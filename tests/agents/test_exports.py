"""The agents package exports exactly what the CLI and the web console call."""

from __future__ import annotations

import inspect

import oncall.agents


def test_public_surface() -> None:
    assert sorted(oncall.agents.__all__) == ["new_run_id", "reset", "run_incident"]
    assert inspect.iscoroutinefunction(oncall.agents.run_incident)
    params = inspect.signature(oncall.agents.run_incident).parameters
    for name in ("config", "events", "dry_run", "llm_preset", "history", "run_id"):
        assert params[name].kind is inspect.Parameter.KEYWORD_ONLY
    assert next(iter(inspect.signature(oncall.agents.reset).parameters)) == "config"
