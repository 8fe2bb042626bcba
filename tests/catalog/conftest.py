"""Fixtures of the catalog tests: both adapters over the same seeded catalog, and the GMS stand-in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import graphql
import pytest

from oncall.catalog.gms import GmsCatalog
from oncall.catalog.lite import LiteCatalog
from oncall.config import load_config
from tests.catalog.gms_standin import GmsStandin, Store


@pytest.fixture
def standin(datahub_schema: graphql.GraphQLSchema, seeded_home: Path) -> Iterator[GmsStandin]:
    """A loopback GMS stand-in whose data is the seeded Lite catalog (fresh per test)."""
    store = Store.from_lite(load_config(seeded_home, environ={}).lite_path)
    with GmsStandin(datahub_schema, store) as server:
        yield server
    assert not server.rejected, f"documents rejected by the DataHub schema: {server.rejected}"


@pytest.fixture
def empty_standin(datahub_schema: graphql.GraphQLSchema) -> Iterator[GmsStandin]:
    """A stand-in GMS with no metadata."""
    with GmsStandin(datahub_schema, Store()) as server:
        yield server


@pytest.fixture(params=["lite", "gms"])
def catalog(request: pytest.FixtureRequest) -> Iterator[LiteCatalog | GmsCatalog]:
    """The same seeded catalog behind each adapter: a real Lite file, or GMS via the stand-in."""
    if request.param == "lite":
        home = request.getfixturevalue("seeded_copy")
        cat: LiteCatalog | GmsCatalog = LiteCatalog(load_config(home, environ={}).lite_path)
    else:
        server = request.getfixturevalue("standin")
        cat = GmsCatalog(server.url, timeout_s=5, write_retries=0)
    try:
        yield cat
    finally:
        cat.close()


@pytest.fixture(params=["lite", "gms"])
def mp_catalog(
    request: pytest.FixtureRequest, datahub_schema: graphql.GraphQLSchema, multiplatform_lite: Path
) -> Iterator[LiteCatalog | GmsCatalog]:
    """The multi-platform catalog behind each adapter: the Lite file, or the stand-in serving it."""
    if request.param == "lite":
        cat: LiteCatalog | GmsCatalog = LiteCatalog(request.getfixturevalue("multiplatform_copy"))
        try:
            yield cat
        finally:
            cat.close()
        return
    with GmsStandin(datahub_schema, Store.from_lite(multiplatform_lite)) as server:
        cat = GmsCatalog(server.url, timeout_s=5, write_retries=0)
        try:
            yield cat
        finally:
            cat.close()
        assert not server.rejected, f"documents rejected by the DataHub schema: {server.rejected}"
