"""Shared pytest fixtures of the catalog area (registered in tests/conftest.py).

`seeded_home` is the small world after `oncall setup`: both instances ingested into a real DataHub
Lite file, the BI layer, the kit metadata and the published assertion suites. It is built once per
session; tests that write take `seeded_copy` instead.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import graphql
import pytest

from oncall.bootstrap import setup
from oncall.config import load_config


@pytest.fixture(scope="session")
def seeded_home(small_world: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home where `setup` ran on the small world (world + Lite catalog + assertions). Read-only."""
    home = tmp_path_factory.mktemp("seeded") / "home"
    shutil.copytree(small_world, home)
    setup(load_config(home, environ={}))
    return home


@pytest.fixture
def seeded_copy(seeded_home: Path, tmp_path: Path) -> Path:
    """A private copy of `seeded_home` for tests that write to the catalog or the world."""
    home = tmp_path / "seeded_copy"
    shutil.copytree(seeded_home, home)
    return home


@pytest.fixture(scope="session")
def datahub_schema(shared_dir: Path) -> graphql.GraphQLSchema:
    """DataHub's real GraphQL schema (all files of ../shared/datahub/graphql concatenated); skips
    cleanly without ../shared."""
    from tests.catalog.gms_standin import load_schema

    return load_schema(shared_dir / "datahub" / "graphql")


@pytest.fixture(scope="session")
def multiplatform_lite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A DataHub Lite file with the multi-platform catalog (Snowflake + dbt + Airflow + Looker/Tableau,
    no platform instances; see tests/catalog/multiplatform.py). Read-only: copy it to write."""
    from tests.catalog import multiplatform

    return multiplatform.write(tmp_path_factory.mktemp("multiplatform") / "datahub.db")


@pytest.fixture
def multiplatform_copy(multiplatform_lite: Path, tmp_path: Path) -> Path:
    """A private copy of the multi-platform Lite file for tests that write."""
    target = tmp_path / "multiplatform.db"
    shutil.copyfile(multiplatform_lite, target)
    return target
