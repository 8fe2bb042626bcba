"""Shared pytest fixtures of the dbt world (registered in tests/conftest.py).

`dbt_world` builds the world once per session for real (dbt-core + dbt-duckdb, two `dbt build` runs);
`dbt_lite` ingests both runs with `oncall ingest` into a Lite file once per session. Tests that write
copy them first (`dbt_lite_copy`).
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

from oncall.config import load_config

__all__ = ["dbt_lite", "dbt_lite_copy", "dbt_world"]


@pytest.fixture(scope="session")
def dbt_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home with the dbt world built in `<home>/dbt` (both runs' artifacts and recipes)."""
    if importlib.util.find_spec("dbt.adapters.duckdb") is None:
        pytest.skip("dbt-core / dbt-duckdb are not installed: pip install -e '.[test]'")
    from oncall.world.dbt import build_dbt_world

    home = tmp_path_factory.mktemp("dbt-world")
    build_dbt_world(home)
    return home


@pytest.fixture(scope="session")
def dbt_lite(dbt_world: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home whose only catalog content is `oncall ingest` of the passing then the failing run."""
    from oncall.catalog.recipes import run_recipe
    from oncall.world.dbt import load_dbt_summary

    home = tmp_path_factory.mktemp("dbt-lite")
    config = load_config(home, environ={})
    summary = load_dbt_summary(dbt_world)
    assert summary is not None
    for run in summary.runs:
        run_recipe(config, Path(run.recipe))
    return home


@pytest.fixture
def dbt_lite_copy(dbt_lite: Path, tmp_path: Path) -> Path:
    """A private copy of `dbt_lite` that a test may write to."""
    home = tmp_path / "dbt-home"
    shutil.copytree(dbt_lite, home)
    return home
