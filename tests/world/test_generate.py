"""The synthetic generator reproduces the Olist facts (scaled) on real SQLite files, deterministically."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from oncall.world import _data as facts
from oncall.world.generate import apportion, generate, scaled
from oncall.world.schema import TABLES, VIEWS
from tests.plugins.world import SMALL_SCALE
from tests.world import _checks

# Tolerance at small scale: category shares are within 1 row of share x total (largest-remainder
# rounding); figures fed by several rounded counts (persons, repeat reviews) within 2 rows.
SHARE_SLACK = 1
DERIVED_SLACK = 2


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def clean(small_world: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(f"{(small_world / 'olist_source.db').as_uri()}?mode=ro", uri=True)
    yield conn
    conn.close()


def test_row_counts_are_scaled(clean: sqlite3.Connection) -> None:
    _checks.check_row_counts(clean, SMALL_SCALE)
    assert _checks.one(clean, "SELECT count(*) FROM olist_geolocation") == scaled(
        facts.GEOLOCATION, SMALL_SCALE
    )


def test_schema_has_the_nine_tables_and_five_views(clean: sqlite3.Connection) -> None:
    objects = dict(clean.execute("SELECT name, type FROM sqlite_master"))
    assert {t.name for t in TABLES} <= {n for n, kind in objects.items() if kind == "table"}
    assert {v.name for v in VIEWS} == {n for n, kind in objects.items() if kind == "view"}
    for v in VIEWS:  # every view runs
        clean.execute(f"SELECT * FROM {v.name} LIMIT 1").fetchall()


def test_ids_are_32_char_lowercase_hex(clean: sqlite3.Connection) -> None:
    _checks.check_ids(clean)


def test_keys_gaps_and_foreign_keys(clean: sqlite3.Connection) -> None:
    _checks.check_keys_and_gaps(clean, SMALL_SCALE, DERIVED_SLACK)


def test_categories_blank_is_empty_string_not_null(clean: sqlite3.Connection) -> None:
    _checks.check_categories(clean, SMALL_SCALE)


def test_clean_world_has_no_nulls(clean: sqlite3.Connection) -> None:
    _checks.check_no_nulls(clean)


def test_distributions_follow_the_published_shares(clean: sqlite3.Connection) -> None:
    _checks.check_distributions(clean, SHARE_SLACK)


def test_views_keep_their_join_shapes(clean: sqlite3.Connection) -> None:
    items = _checks.one(clean, "SELECT count(*) FROM olist_order_items")
    # Clean world: the inner joins lose nothing, the left joins keep every item.
    assert _checks.one(clean, "SELECT count(*) FROM v_order_details") == items
    assert _checks.one(clean, "SELECT count(*) FROM v_product_sales") == items
    assert _checks.one(clean, "SELECT count(*) FROM v_order_payments") == _checks.one(
        clean, "SELECT count(*) FROM olist_order_payments"
    )


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    paths = [tmp_path / "a.db", tmp_path / "b.db", tmp_path / "c.db"]
    generate(paths[0], scale=0.005, seed=7)
    generate(paths[1], scale=0.005, seed=7)
    generate(paths[2], scale=0.005, seed=8)
    assert sha(paths[0]) == sha(paths[1])
    assert sha(paths[0]) != sha(paths[2])


@pytest.mark.parametrize("scale", [1e-6, 0.003, 0.05])
def test_every_scale_keeps_the_structure(tmp_path: Path, scale: float) -> None:
    path = tmp_path / "w.db"
    rows = generate(path, scale=scale, seed=1, geolocation_rows=100)
    assert all(n >= 1 for n in rows.values()), rows
    conn = sqlite3.connect(path)
    try:
        _checks.check_row_counts(conn, scale)
        _checks.check_ids(conn)
        _checks.check_no_nulls(conn)
        _checks.check_distributions(conn, SHARE_SLACK)
        if scale >= 0.003:  # below that, clamps (at least one row, n-1 gaps at most) take over
            _checks.check_keys_and_gaps(conn, scale, DERIVED_SLACK)
    finally:
        conn.close()


def test_prices_and_payments_look_like_olist(clean: sqlite3.Connection) -> None:
    # Published medians: price ~75, freight ~16.26, payment 100; tolerance 12% at this sample size.
    for table, col, median in (
        ("olist_order_items", "price", 75.0),
        ("olist_order_items", "freight_value", 16.26),
        ("olist_order_payments", "payment_value", 100.0),
    ):
        values = sorted(v for (v,) in clean.execute(f"SELECT CAST({col} AS REAL) FROM {table}"))
        assert abs(values[len(values) // 2] - median) <= 0.12 * median, col


def test_geolocation_rows_caps_the_table(tmp_path: Path) -> None:
    rows = generate(tmp_path / "g.db", scale=0.01, seed=3, geolocation_rows=123)
    assert rows["olist_geolocation"] == 123


@pytest.mark.parametrize("scale", [0.0, -0.5, 1.5])
def test_scale_out_of_range_is_refused(tmp_path: Path, scale: float) -> None:
    with pytest.raises(ValueError, match="scale"):
        generate(tmp_path / "x.db", scale=scale)
    assert not (tmp_path / "x.db").exists()


def test_apportion_is_exact_at_the_weights_total_and_sums_to_total() -> None:
    weights = list(facts.ORDER_STATUS.items())
    assert dict(apportion(weights, sum(facts.ORDER_STATUS.values()))) == facts.ORDER_STATUS
    for total in (0, 1, 7, 1989, 12_345):
        assert sum(n for _, n in apportion(weights, total)) == total
