"""Shared pytest fixtures of the agents area (registered in tests/conftest.py).

`run_offline(home, text, **kw)` runs the incident loop once with no model and returns the result and
its events, for any area that needs a finished run (the web console, the eval scorer).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from oncall.config import Config, load_config
from oncall.events import Event, RunEvents
from oncall.report.models import RunResult

__all__ = ["RunOffline", "run_offline"]

RunOffline = Callable[..., tuple[RunResult, list[Event]]]


def _run(home: Path | Config, text: str, **kwargs: Any) -> tuple[RunResult, list[Event]]:
    from oncall.agents import new_run_id, run_incident

    config = home if isinstance(home, Config) else load_config(home, environ={})
    run_id = new_run_id()
    events = RunEvents(run_id)
    result = asyncio.run(run_incident(text, config=config, events=events, run_id=run_id, **kwargs))
    return result, events.events


@pytest.fixture
def run_offline() -> RunOffline:
    """Run the incident loop: `run_offline(home_or_config, text, dry_run=..., history=...)`."""
    return _run
