"""The precision and magnitude families on a world with numeric faults that keep every value in range:
payment values rounded to whole reais, and a batch of prices loaded in cents (x100)."""

from __future__ import annotations

import contextlib
import math
import re
import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from oncall.config import load_config
from oncall.quality.baseline import BaselineNeeds, profile_baseline
from oncall.quality.models import Suite, SuiteRun
from oncall.quality.runner import build_suites, run_suites, warehouse_url
from oncall.world.build import WorldSummary, build_world, load_summary
from oncall.world.demo_suites import demo_suite
from oncall.world.faults import apply_faults, parse_spec
from oncall.world.schema import warehouse_schema
from tests.plugins.quality import PostgresServer, _load_postgres, copy_to_duckdb
from tests.plugins.world import SMALL_SCALE

INSTANCES = ("olist_source", "olist_dirty")
NUMERIC = ("precision", "magnitude")
MONEY = {
    ("olist_order_items", "price"),
    ("olist_order_items", "freight_value"),
    ("olist_order_payments", "payment_value"),
}
SPEC = """\
name: numeric
faults:
  - {table: olist_order_payments, kind: round, column: payment_value, digits: 0, fraction: 0.5}
  - {table: olist_order_items, kind: scale, column: price, factor: 100, fraction: 0.1}
"""


@pytest.fixture(scope="module")
def numeric_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small world whose production copy has the numeric faults instead of the kit's."""
    folder = tmp_path_factory.mktemp("numeric_world")
    spec = folder / "numeric.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    home = folder / "home"
    build_world(home, scale=SMALL_SCALE, seed=42, faults=spec)
    return home


def _numeric_suite(home: Path) -> Suite:
    """The profile suite derived from `home`'s baseline, cut down to the numeric families."""
    (profile,) = build_suites(
        load_config(home, environ={}), [demo_suite("profile")], schema=warehouse_schema()
    )
    return profile.model_copy(update={"checks": [c for c in profile.checks if c.family in NUMERIC]})


def _results(runs: list[SuiteRun]) -> dict[tuple[str, str, str], tuple[str, float | None]]:
    return {
        (r.instance, x.check.field or "", x.check.family or ""): (x.result, x.observed)
        for r in runs
        for x in r.results
    }


@pytest.fixture(scope="module")
def numeric_runs(numeric_world: Path) -> dict[tuple[str, str, str], tuple[str, float | None]]:
    config = load_config(numeric_world, environ={})
    urls = {i: warehouse_url(config, i) for i in INSTANCES}
    return _results(run_suites([_numeric_suite(numeric_world)], urls))


def _touched(summary: WorldSummary, kind: str) -> int:
    return next(f.rows_touched for f in summary.faults if f.kind == kind)


def test_the_money_columns_get_both_families(numeric_world: Path) -> None:
    checks = _numeric_suite(numeric_world).checks
    for family in NUMERIC:
        assert {(c.table, c.field) for c in checks if c.family == family} == MONEY
    assert all(c.threshold == 0 and "{{" not in c.description for c in checks)
    # only dialect macros are left in the SQL: every baseline figure is filled in
    assert all(re.sub(r"\{\{ num\(\w+\) \}\}", "", c.sql).count("{{") == 0 for c in checks)


def test_the_baseline_passes_and_the_faulted_columns_fail(
    numeric_runs: dict[tuple[str, str, str], tuple[str, float | None]], numeric_world: Path
) -> None:
    summary = load_summary(numeric_world)
    assert summary is not None
    assert {k: v for k, v in numeric_runs.items() if k[0] == "olist_source"} == {
        ("olist_source", col, fam): ("SUCCESS", 0) for _, col in MONEY for fam in NUMERIC
    }
    failing = {k[1:]: v[1] for k, v in numeric_runs.items() if k[0] == "olist_dirty" and v[0] != "SUCCESS"}
    # x100 turns 2-decimal prices into whole numbers too, so price fails both families
    assert set(failing) == {("payment_value", "precision"), ("price", "precision"), ("price", "magnitude")}
    rounded, scaled = _touched(summary, "round"), _touched(summary, "scale")
    # observed = whole rows beyond the baseline's share plus 5 points of the payments: the rounded rows
    # (less the few that were whole already) minus that allowance
    excess = rounded - math.floor(0.05 * summary.rows["olist_source"]["olist_order_payments"])
    assert 0.9 * excess < (failing["payment_value", "precision"] or 0) <= excess
    assert 0 < (failing["price", "magnitude"] or 0) <= scaled


def test_legitimate_growth_in_volume_passes(numeric_world: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(numeric_world, home)
    grow = parse_spec(
        {
            "name": "growth",
            "faults": [
                {"table": t, "kind": "duplicate_rows", "fraction": 0.5}
                for t in ("olist_order_items", "olist_order_payments")
            ],
        }
    )
    (home / "olist_dirty.db").unlink()
    shutil.copy(home / "olist_source.db", home / "olist_dirty.db")
    with contextlib.closing(sqlite3.connect(home / "olist_dirty.db")) as conn:
        apply_faults(conn, grow, 7)
        conn.commit()
    config = load_config(home, environ={})
    (profile,) = build_suites(config, [demo_suite("profile")], schema=warehouse_schema())
    grown = run_suites([profile], {"olist_dirty": warehouse_url(config, "olist_dirty")})[0].results
    by_family = {(r.check.table, r.check.family): r.result for r in grown if r.check.family}
    assert by_family["olist_order_items", "volume"] == "FAILURE"  # 1.5x the rows: volume notices
    assert all(r.result == "SUCCESS" for r in grown if r.check.family in NUMERIC)  # shares do not move


def test_the_baseline_profile_matches_the_rows(numeric_world: Path) -> None:
    engine = create_engine(f"sqlite:///{numeric_world / 'olist_source.db'}")
    needs = BaselineNeeds(
        numbers={"olist_order_items": ["price"]}, spread={"olist_order_items": {"price": 10}}
    )
    stats = profile_baseline(engine, "olist_source", needs, warehouse_schema()).tables["olist_order_items"]
    engine.dispose()
    with contextlib.closing(sqlite3.connect(numeric_world / "olist_source.db")) as conn:
        prices = sorted(float(p) for (p,) in conn.execute("SELECT price FROM olist_order_items") if p.strip())
    assert stats.numbers["price"] == len(prices)
    assert stats.whole["price"] == sum(p == round(p) for p in prices)
    spread = stats.spread["price"]
    n = len(prices)
    p01, p99 = prices[-(-n // 100) - 1], prices[-(-99 * n // 100) - 1]  # nearest rank
    assert (spread.low, spread.high) == pytest.approx((p01 / 10, p99 * 10))
    assert spread.beyond == sum(p < spread.low or p > spread.high for p in prices)


def _assert_same(other: dict, sqlite: dict) -> None:
    assert other.keys() == sqlite.keys()
    for key, (result, value) in sqlite.items():
        assert other[key][0] == result, key
        assert other[key][1] == pytest.approx(value, abs=1e-6), key


def test_duckdb_gives_the_same_answers(
    numeric_world: Path,
    numeric_runs: dict[tuple[str, str, str], tuple[str, float | None]],
    tmp_path: Path,
) -> None:
    urls = {}
    for instance in INSTANCES:
        copy_to_duckdb(numeric_world / f"{instance}.db", tmp_path / f"{instance}.duckdb")
        urls[instance] = f"duckdb:///{tmp_path / f'{instance}.duckdb'}"
    _assert_same(_results(run_suites([_numeric_suite(numeric_world)], urls)), numeric_runs)


@pytest.mark.postgres
def test_postgres_gives_the_same_answers(
    numeric_world: Path,
    numeric_runs: dict[tuple[str, str, str], tuple[str, float | None]],
    postgres_server: PostgresServer,
) -> None:
    urls = {}
    for instance in INSTANCES:
        _load_postgres(postgres_server, f"numeric_{instance}", numeric_world / f"{instance}.db")
        urls[instance] = postgres_server.url(f"numeric_{instance}")
    _assert_same(_results(run_suites([_numeric_suite(numeric_world)], urls)), numeric_runs)
