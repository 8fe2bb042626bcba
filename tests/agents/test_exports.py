"""The agents package exports exactly what the CLI and the web console call."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

import oncall.agents


def test_public_surface() -> None:
    assert sorted(oncall.agents.__all__) == ["new_run_id", "reset", "run_incident", "run_incident_sync"]
    assert inspect.iscoroutinefunction(oncall.agents.run_incident)
    params = inspect.signature(oncall.agents.run_incident).parameters
    for name in ("config", "events", "dry_run", "llm_preset", "history", "run_id"):
        assert params[name].kind is inspect.Parameter.KEYWORD_ONLY
    assert next(iter(inspect.signature(oncall.agents.reset).parameters)) == "config"


class _NoRepr:
    formatted = 0

    def __repr__(self) -> str:
        type(self).formatted += 1  # asyncio formats through reprlib, which swallows exceptions
        return "<result>"


def test_the_sync_entry_never_formats_the_result(monkeypatch: pytest.MonkeyPatch) -> None:
    """Python 3.11's asyncio.run formats its main task (and the task's result) when it restores the
    SIGINT handler: the result must not be the main task's."""
    from oncall.agents import coordinator

    async def fake(incident: str | None = None, **kwargs: Any) -> Any:
        return _NoRepr()

    monkeypatch.setattr(coordinator, "run_incident", fake)
    assert isinstance(oncall.agents.run_incident_sync("x"), _NoRepr)
    assert _NoRepr.formatted == 0
