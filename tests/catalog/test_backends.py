"""The backend registry: a third backend joins by registering itself, and every generic path (config,
open, readiness, setup's fresh store, `oncall ingest`, reset, the incident loop) finds it there, with
no edit elsewhere."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from datahub.emitter.mcp import MetadataChangeProposalWrapper as MCPW

from oncall.agents import run_incident
from oncall.catalog import Backend, open_catalog, register_backend
from oncall.catalog.backends import backend_for, backends, check_ready, unregister_backend
from oncall.catalog.lite import LiteCatalog
from oncall.catalog.recipes import run_recipe
from oncall.catalog.run_events import read_run_events
from oncall.catalog.urns import make_dataset_urn
from oncall.config import Config, load_config
from oncall.errors import ConfigError, UserError
from tests.agents.test_any_catalog import _assertion, _dataset

TOY_DATASET = make_dataset_urn("toydb", "shop.orders")


class ToyCatalog(LiteCatalog):
    """A Lite file under another name and place: enough to be a backend of its own."""

    backend = "toy"


def _toy_path(config: Config) -> Path:
    return config.home / "toy" / "catalog.db"


def _toy_missing(config: Config) -> str | None:
    path = _toy_path(config)
    return None if path.is_file() and path.stat().st_size else f"no toy catalog at {path}"


@pytest.fixture
def toy() -> Iterator[Backend]:
    backend = Backend(
        "toy",
        open=lambda config, read_only: ToyCatalog(_toy_path(config), read_only=read_only),
        location=lambda config: f"toy://{_toy_path(config)}",
        missing=_toy_missing,
        exists=lambda config: _toy_path(config).exists(),
    )
    register_backend(backend)
    yield backend
    unregister_backend("toy")


def _toy_config(home: Path) -> Config:
    return load_config(home, environ={"ONCALL_CATALOG": "toy"})


def test_an_unregistered_backend_is_refused_with_the_known_ones(home: Path) -> None:
    config = _toy_config(home)  # the settings do not know the backends; the registry does
    with pytest.raises(ConfigError, match=r"catalog must be 'lite' or 'gms', not 'toy'"):
        open_catalog(config)
    assert backends()[:2] == ("lite", "gms")


def test_a_registered_backend_is_opened_through_config(toy: Backend, home: Path) -> None:
    config = _toy_config(home)
    assert backend_for(config) is toy
    with pytest.raises(UserError, match="no toy catalog at"):
        check_ready(config)
    _toy_path(config).parent.mkdir(parents=True)
    ToyCatalog(_toy_path(config), create=True).close()
    check_ready(config)
    with open_catalog(config, read_only=True) as catalog:
        assert isinstance(catalog, ToyCatalog) and catalog.backend == "toy"
    with pytest.raises(ConfigError, match=r"'lite', 'gms' or 'toy', not 'nope'"):
        open_catalog(load_config(home, environ={"ONCALL_CATALOG": "nope"}))


def _mcps() -> list[MCPW]:
    runs = [(1_000, "SUCCESS", 0.0), (2_000, "FAILURE", 7.0)]
    return [*_dataset(TOY_DATASET, "orders", "Orders", []), *_assertion(TOY_DATASET, "id_not_null", runs)]


def test_ingest_the_feed_and_the_loop_run_on_a_third_backend(toy: Backend, home: Path) -> None:
    config = _toy_config(home)
    _toy_path(config).parent.mkdir(parents=True)
    ToyCatalog(_toy_path(config), create=True).close()
    source = home / "mcps.json"
    source.write_text(json.dumps([mcp.to_obj() for mcp in _mcps()]), encoding="utf-8")
    recipe = home / "recipe.yml"
    recipe.write_text(f"source:\n  type: file\n  config:\n    path: {source}\n", encoding="utf-8")

    # No `ingest` of its own: the recipe runs through the sink the toy catalog names (its ingest_sink).
    summary = run_recipe(config, recipe)
    assert summary.backend == "toy" and summary.location == f"toy://{_toy_path(config)}"
    assert not config.lite_path.exists(), "nothing went to the Lite file"

    with open_catalog(config, read_only=True) as catalog:
        assert catalog.list_urns("dataset", None) == [TOY_DATASET]
        events, _ = read_run_events(catalog, 0)  # the toy catalog's own feed
    assert [(e.result, e.actual_value) for e in events] == [("SUCCESS", 0.0), ("FAILURE", 7.0)]

    result = asyncio.run(run_incident("orders wrong", config=config, dry_run=True))
    assert result.symptom is not None and result.symptom.urn == TOY_DATASET
    assert [e.status for e in result.diff] == ["regression"]


def test_reset_knows_a_backend_only_by_its_capabilities(toy: Backend, home: Path) -> None:
    from oncall.agents import reset

    config = _toy_config(home)
    assert reset(config) == []  # no store and no ledger: never set up, nothing to undo
    _toy_path(config).parent.mkdir(parents=True)
    _toy_path(config).write_bytes(b"")  # a store that is there but unusable is not "nothing to undo"
    with pytest.raises(UserError, match="no toy catalog"):
        reset(config)


def test_the_lite_backend_swaps_in_a_fresh_file_only_on_success(home: Path) -> None:
    config = load_config(home, environ={})
    lite = backend_for(config)
    assert lite.fresh is not None and lite.missing(config)
    with pytest.raises(RuntimeError), lite.fresh(config) as catalog:
        catalog.emit(_dataset(TOY_DATASET, "orders", "Orders", []))
        raise RuntimeError("setup failed half way")
    assert not config.lite_path.exists() and not list(home.glob(".*tmp*"))
    with lite.fresh(config) as catalog:
        catalog.emit(_dataset(TOY_DATASET, "orders", "Orders", []))
    assert lite.missing(config) is None
    with open_catalog(config, read_only=True) as catalog:
        assert catalog.list_urns("dataset", None) == [TOY_DATASET]
