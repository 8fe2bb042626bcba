"""`oncall.bootstrap.setup`: world if missing, ingestion, assertions; idempotent and all-or-nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from oncall.bootstrap import setup
from oncall.catalog.lite import LiteCatalog
from oncall.config import load_config
from oncall.errors import CatalogError, WorldExistsError
from oncall.world.build import PRODUCTION
from oncall.world.urns import dataset_urn


def _leftovers(home: Path) -> list[str]:
    return sorted(p.name for p in home.iterdir() if ".tmp" in p.name or p.name.endswith(("-wal", "-shm")))


def test_seeded_home_has_world_catalog_and_assertions(seeded_home: Path) -> None:
    config = load_config(seeded_home, environ={})
    assert config.world_manifest.is_file() and config.lite_path.is_file()
    # (no leftover check here: the fixture is shared, and read-only opens by other tests leave -shm;
    # setup's own leftovers are checked on a private home below)
    with LiteCatalog(config.lite_path, read_only=True) as catalog:
        for instance in ("olist_source", "olist_dirty"):
            checks = catalog.assertions(dataset_urn(instance, "olist_order_items"))
            assert checks and all(a.latest is not None for a in checks)


def test_setup_builds_a_missing_world_then_reruns_without_rebuilding(home: Path) -> None:
    config = load_config(home, environ={})
    lines: list[str] = []
    first = setup(config, scale=0.01, progress=lines.append)
    assert first.world_built and first.scale == 0.01
    assert first.ingest.datasets == 28
    assert first.rows["olist_dirty"]["olist_customers"] < first.rows["olist_source"]["olist_customers"]
    assert any(line.startswith("world:") for line in lines) and any("catalog:" in line for line in lines)
    second = setup(config)
    assert not second.world_built and second.scale == 0.01
    assert second.ingest.datasets == 28
    assert _leftovers(home) == []


def test_scale_of_an_existing_world_needs_force(seeded_copy: Path) -> None:
    with pytest.raises(WorldExistsError, match="pass --force"):
        setup(load_config(seeded_copy, environ={}), scale=0.5)


def test_force_rebuilds_the_catalog_from_scratch(seeded_copy: Path) -> None:
    config = load_config(seeded_copy, environ={})
    orders = dataset_urn("olist_dirty", "olist_orders")
    with LiteCatalog(config.lite_path) as catalog:
        catalog.add_tags(orders, ["urn:li:tag:stale"])
    summary = setup(config, force=True)
    assert summary.world_built and summary.scale == 0.02
    with LiteCatalog(config.lite_path, read_only=True) as catalog:
        assert "urn:li:tag:stale" not in catalog.get(orders).tags
        assert len(catalog.list_urns("dataset")) == 28


def test_failed_setup_leaves_no_half_written_catalog(small_world: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(small_world, home)
    config = load_config(home, environ={})
    config.instance_db(PRODUCTION).write_bytes(b"not a database" * 64)
    with pytest.raises(CatalogError, match="ingestion of oncall-olist_dirty failed"):
        setup(config)
    assert not config.lite_path.exists()
    assert _leftovers(home) == []
