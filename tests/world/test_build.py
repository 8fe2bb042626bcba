"""build_world: the summary, determinism of both DBs, no overwrite without force, nothing half-written."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import yaml

from oncall.errors import FaultSpecError, WorldError, WorldExistsError
from oncall.world.build import DIRTY_DB, MANIFEST, SOURCE_DB, build_world, load_summary
from oncall.world.schema import TABLES

SCALE = 0.005


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def snapshot(home: Path) -> dict[str, str]:
    """Every file in the home with its hash, to prove a failed build changed nothing."""
    return {p.name: sha(p) for p in sorted(home.iterdir())}


def test_small_world_summary_matches_the_files(small_world: Path) -> None:
    summary = load_summary(small_world)
    assert summary is not None
    assert (summary.source, summary.scale, summary.seed, summary.fault_spec) == ("synthetic", 0.02, 42, "kit")
    for instance, db in (("olist_source", SOURCE_DB), ("olist_dirty", DIRTY_DB)):
        conn = sqlite3.connect(small_world / db)
        actual = {t.name: conn.execute(f"SELECT count(*) FROM {t.name}").fetchone()[0] for t in TABLES}
        conn.close()
        assert summary.rows[instance] == actual
    deleted = summary.rows["olist_source"]["olist_customers"] - summary.rows["olist_dirty"]["olist_customers"]
    assert [(f.table, f.kind, f.column) for f in summary.faults] == [
        ("olist_customers", "delete_rows", None),
        ("olist_order_items", "truncate", "seller_id"),
        ("olist_products", "set_null", "product_category_name"),
    ]
    assert summary.faults[0].rows_touched == deleted
    assert json.loads((small_world / MANIFEST).read_text())["faults"][2]["rows_touched"] > 0


def test_dirty_db_has_the_kit_faults_and_clean_keeps_no_nulls(small_world: Path) -> None:
    summary = load_summary(small_world)
    assert summary is not None
    clean = sqlite3.connect(small_world / SOURCE_DB)
    dirty = sqlite3.connect(small_world / DIRTY_DB)
    null_categories = "SELECT count(*) FROM olist_products WHERE product_category_name IS NULL"
    assert clean.execute(null_categories).fetchone()[0] == 0
    assert dirty.execute(null_categories).fetchone()[0] == summary.faults[2].rows_touched
    orphans = (
        "SELECT count(*) FROM olist_orders WHERE customer_id NOT IN (SELECT customer_id FROM olist_customers)"
    )
    assert clean.execute(orphans).fetchone()[0] == 0
    assert dirty.execute(orphans).fetchone()[0] == summary.faults[0].rows_touched
    clean.close()
    dirty.close()


def test_load_summary_of_an_empty_home_is_none(home: Path) -> None:
    assert load_summary(home) is None


def test_same_seed_gives_byte_identical_worlds(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    build_world(a, scale=SCALE, seed=5)
    build_world(b, scale=SCALE, seed=5)
    assert sha(a / SOURCE_DB) == sha(b / SOURCE_DB)
    assert sha(a / DIRTY_DB) == sha(b / DIRTY_DB)
    assert sha(a / SOURCE_DB) != sha(a / DIRTY_DB)


def test_existing_world_is_kept_without_force(home: Path) -> None:
    build_world(home, scale=SCALE, seed=1)
    before = snapshot(home)
    with pytest.raises(WorldExistsError, match="pass --force"):
        build_world(home, scale=SCALE, seed=2)
    assert snapshot(home) == before
    build_world(home, scale=SCALE, seed=2, force=True)
    assert snapshot(home)[SOURCE_DB] != before[SOURCE_DB]
    summary = load_summary(home)
    assert summary is not None and summary.seed == 2
    assert sorted(p.name for p in home.iterdir()) == sorted([SOURCE_DB, DIRTY_DB, MANIFEST, "config.yaml"])
    assert yaml.safe_load((home / "config.yaml").read_text()) == {
        "baseline_instance": "olist_source",
        "production_instance": "olist_dirty",
    }


def test_a_single_leftover_file_also_counts_as_a_world(home: Path) -> None:
    (home / DIRTY_DB).write_bytes(b"")
    with pytest.raises(WorldExistsError, match=DIRTY_DB):
        build_world(home, scale=SCALE)


def test_failed_build_writes_nothing(home: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        yaml.safe_dump(
            {"name": "bad", "faults": [{"table": "olist_orders", "kind": "delete_rows", "count": 10**7}]}
        ),
        encoding="utf-8",
    )
    with pytest.raises(FaultSpecError, match=r"faults\[0\]\.count"):
        build_world(home, scale=SCALE, faults=bad)
    assert list(home.iterdir()) == []


def test_failed_forced_rebuild_keeps_the_old_world(home: Path, tmp_path: Path) -> None:
    build_world(home, scale=SCALE)
    before = snapshot(home)
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nfaults:\n  - {table: olist_orders, kind: set_null, column: nope, count: 1}\n")
    with pytest.raises(FaultSpecError, match=r"faults\[0\]\.column: 'nope' is not a column of olist_orders"):
        build_world(home, scale=SCALE, faults=bad, force=True)
    assert snapshot(home) == before


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scale": 0}, "--scale must be in"),
        ({"scale": 2.0}, "--scale must be in"),
        ({"geolocation_rows": 0}, "--geolocation-rows must be at least 1"),
        ({"from_csv": Path("/nonexistent/olist")}, "not a readable folder"),
        ({"from_kit_db": (Path("/nonexistent/a.db"), Path("/nonexistent/b.db"))}, "no such file"),
        ({"faults": "no_such_spec"}, "neither a built-in spec"),
    ],
)
def test_bad_arguments_are_refused_before_writing(home: Path, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises((WorldError, FaultSpecError), match=message):
        build_world(home, **kwargs)
    assert list(home.iterdir()) == []


def test_scale_with_an_import_is_refused(home: Path, small_world: Path) -> None:
    with pytest.raises(WorldError, match="--scale applies only"):
        build_world(home, scale=0.5, from_kit_db=(small_world / SOURCE_DB, small_world / DIRTY_DB))


def test_progress_reports_each_step(home: Path) -> None:
    lines: list[str] = []
    build_world(home, scale=SCALE, progress=lines.append)
    text = "\n".join(lines)
    for needle in (
        "generating",
        "olist_orders:",
        "applying fault spec 'kit'",
        "truncate olist_order_items",
        "ready",
    ):
        assert needle in text


def test_home_is_created(tmp_path: Path) -> None:
    home = tmp_path / "new" / "home"
    build_world(home, scale=SCALE)
    assert (home / SOURCE_DB).is_file()
    shutil.rmtree(home)
