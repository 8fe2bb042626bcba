"""The one full-scale check: the kit counts (7,955 / 5,632 / 988) and every published fact, exactly."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from oncall.world.build import DIRTY_DB, SOURCE_DB, build_world
from tests.world import _checks


@pytest.mark.slow
def test_full_scale_world_has_the_exact_facts_and_kit_counts(tmp_path: Path) -> None:
    summary = build_world(tmp_path, scale=1.0, seed=42)
    assert [f.rows_touched for f in summary.faults] == [7_955, 5_632, 988]
    assert summary.rows["olist_dirty"]["olist_customers"] == 91_486

    clean = sqlite3.connect(tmp_path / SOURCE_DB)
    _checks.check_row_counts(clean, 1.0)
    _checks.check_ids(clean)
    _checks.check_keys_and_gaps(clean, 1.0, slack=0)
    _checks.check_categories(clean, 1.0)
    _checks.check_distributions(clean, slack=0)
    _checks.check_full_scale_exact(clean)
    clean.close()

    dirty = sqlite3.connect(tmp_path / DIRTY_DB)
    assert _checks.one(dirty, "SELECT count(*) FROM olist_customers") == 91_486
    assert _checks.one(dirty, "SELECT count(*) FROM olist_order_items WHERE length(seller_id) = 31") == 5_632
    assert (
        _checks.one(dirty, "SELECT count(*) FROM olist_products WHERE product_category_name IS NULL") == 988
    )
    orphans = (
        "SELECT count(*) FROM olist_orders WHERE customer_id NOT IN (SELECT customer_id FROM olist_customers)"
    )
    assert _checks.one(dirty, orphans) == 7_955
    dirty.close()
