"""Fixtures of the quality tests: the small world's config, its fault counts, and suites built from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from oncall.config import Config, load_config
from oncall.quality.models import Suite
from oncall.quality.runner import build_suites
from oncall.world.build import WorldSummary, load_summary
from oncall.world.demo_suites import demo_suite
from oncall.world.schema import warehouse_schema


@pytest.fixture(scope="session")
def small_config(small_world: Path) -> Config:
    """Config over the shared small world (the runner opens its SQLite files read-only)."""
    return load_config(small_world, environ={})


@pytest.fixture(scope="session")
def world_summary(small_world: Path) -> WorldSummary:
    """The small world's summary: rows per instance and each fault's rows_touched."""
    summary = load_summary(small_world)
    assert summary is not None
    return summary


@pytest.fixture(scope="session")
def small_suites(small_config: Config) -> dict[str, Suite]:
    """The kit and profile suites derived from the small world's baseline."""
    kit, profile = build_suites(
        small_config, [demo_suite("kit"), demo_suite("profile")], schema=warehouse_schema()
    )
    return {"kit": kit, "profile": profile}


def touched(summary: WorldSummary, table: str, kind: str) -> int:
    """rows_touched of the world's fault of `kind` on `table`."""
    return next(f.rows_touched for f in summary.faults if f.table == table and f.kind == kind)
