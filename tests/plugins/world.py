"""Shared pytest fixtures of the world area (registered in tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from oncall.world.build import build_world

SMALL_SCALE = 0.02
"""Scale of the shared small world: ~2k orders, 20k geolocation rows, built in well under a second."""


@pytest.fixture(scope="session")
def small_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Home of a world built once per session at scale 0.02 with the kit faults (seed 42).

    Read-only for tests: copy the folder (or the DB files) before writing to it.
    """
    home = tmp_path_factory.mktemp("small_world")
    build_world(home, scale=SMALL_SCALE, seed=42, faults="kit")
    return home
