"""Shared pytest fixtures of the agents area (registered in tests/conftest.py).

`run_offline(home, text, **kw)` runs the incident loop once with no model and returns the result and
its events, for any area that needs a finished run (the web console, the eval scorer).
`detective_pick(text)` is the Detective's offline symptom pick on a copy of the seeded world.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from oncall.config import Config, load_config
from oncall.events import Event, RunEvents
from oncall.report.models import RunResult

__all__ = ["PROD", "DetectivePick", "RunOffline", "detective_pick", "detective_picker", "run_offline"]

PROD = "olist_dirty"

RunOffline = Callable[..., tuple[RunResult, list[Event]]]
DetectivePick = Callable[[str], tuple[str | None, list[tuple[str, float]]]]


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


def detective_picker(home: Path, production: str | None) -> tuple[DetectivePick, Callable[[], None]]:
    """`(pick, close)`: the Detective's offline symptom pick on the catalog of `home`, opened read-only.

    `pick(text)` runs what `detective.investigate` runs with no model: catalog searches widened by the
    semantic index in the home, then the deterministic ranking. It returns the picked URN (or None)
    and the top three with their scores.
    """
    from oncall.agents.candidates import search_candidates
    from oncall.agents.detective import procedure_pick
    from oncall.agents.ranking import rank_entities
    from oncall.catalog import open_catalog

    config = load_config(home, environ={})
    catalog = open_catalog(config, read_only=True)

    def pick(text: str) -> tuple[str | None, list[tuple[str, float]]]:
        found = search_candidates(
            catalog, text, production_instance=production, vectors_dir=config.vectors_dir
        )
        ranked = rank_entities(
            text,
            found.entities,
            production_instance=production,
            catalog_scores=found.scores,
            meaning=found.meaning,
        )
        top = procedure_pick(ranked)
        return (top.ref.urn if top else None), [(r.ref.urn, round(r.score, 2)) for r in ranked[:3]]

    return pick, catalog.close


@pytest.fixture(scope="session")
def detective_pick(seeded_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DetectivePick]:
    """The Detective's offline pick on a copy of the seeded Olist world (`detective_picker`).

    A copy, because even a read-only SQLite open may leave -shm files in the shared seeded home.
    """
    home = tmp_path_factory.mktemp("detective") / "home"
    shutil.copytree(seeded_home, home)
    pick, close = detective_picker(home, PROD)
    try:
        yield pick
    finally:
        close()
