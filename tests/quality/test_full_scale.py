"""The one full-scale check of the quality area: the kit suite reports 5,632 / 7,955 / 988."""

from __future__ import annotations

from pathlib import Path

import pytest

from oncall.config import load_config
from oncall.quality.runner import build_suites, run_suites, warehouse_url
from oncall.world.build import build_world
from oncall.world.demo_suites import demo_suite
from oncall.world.schema import warehouse_schema


@pytest.mark.slow
def test_kit_suite_at_full_scale(tmp_path: Path) -> None:
    build_world(tmp_path, scale=1.0, seed=42)
    config = load_config(tmp_path, environ={})
    (kit,) = build_suites(config, [demo_suite("kit")], schema=warehouse_schema())
    urls = {i: warehouse_url(config, i) for i in ("olist_source", "olist_dirty")}
    source, dirty = run_suites([kit], urls)
    assert {r.result for r in source.results} == {"SUCCESS"}
    failing = {r.check.name: r.observed for r in dirty.results if r.result != "SUCCESS"}
    assert failing == {
        "seller_id_length_eq_32": 5_632,
        "row_count_eq_99441": 7_955,
        "product_category_name_not_null": 988,
    }
