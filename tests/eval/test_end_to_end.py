"""End to end: `oncall eval` on a few shipped scenarios builds, sets up, runs the loop and scores 100%.

Real parts only: a generated world, DataHub Lite, the assertion suites, the offline agents. Small scale
and one world (the kit faults) so it stays a CI test; the full set at --scale 0.1 is measured by hand
and quoted in the README.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from oncall.cli import main
from oncall.eval.scoring import CatalogEdges

SUBSET = "kit-revenue-dashboard,kit-review-scores-fk,kit-customers-table"


@pytest.mark.usefixtures("eval_stack")
def test_kit_subset_scores_perfectly(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    args = ["eval", "--scale", "0.02", "--only", SUBSET, "--out", str(out), "--home", str(tmp_path), "--json"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    summary = report["summary"]
    assert (summary["scenarios"], summary["passed"], summary["errors"]) == (3, 3, 0), report["scores"]
    assert summary["symptom_accuracy"] == summary["origin_precision"] == summary["origin_recall"] == 1.0
    assert summary["grounded_rate"] == summary["elsewhere_accuracy"] == 1.0
    assert len(report["worlds"]) == 1  # the three share the kit world, built and set up once
    for score in report["scores"]:
        assert score["catalog_calls"] > 0 and score["incidents_written"] == len(score["origins"]["got"])
    assert "[world 1/1] kit: 3 scenario(s)" in result.stderr  # progress went to stderr
    assert (out / "latest.md").read_text().startswith("## Scenario eval")


def test_catalog_edges_follow_real_lineage_only(request: pytest.FixtureRequest) -> None:
    """The grounding oracle against a real catalog: lineage hops and FK references, in one direction."""
    request.getfixturevalue("eval_stack")
    try:
        home = request.getfixturevalue("seeded_home")
    except pytest.FixtureLookupError:
        pytest.skip("the catalog area's `seeded_home` fixture is not in the tree yet")
    from oncall.catalog import open_catalog
    from oncall.config import load_config
    from oncall.world.urns import chart_urn, dashboard_urn, dataset_urn

    catalog = open_catalog(load_config(home, environ={}), read_only=True)
    try:
        edges = CatalogEdges(catalog)
        prod = "olist_dirty"
        revenue, chart = dashboard_urn(prod, "revenue"), chart_urn(prod, "revenue_by_customer_state")
        view, orders = dataset_urn(prod, "v_order_details"), dataset_urn(prod, "olist_orders")
        assert edges.edge(revenue, chart) == "lineage"
        assert edges.edge(chart, view) == "lineage"
        assert edges.edge(view, orders) == "lineage"
        assert edges.edge(orders, dataset_urn(prod, "olist_customers")) == "foreign_key"
        assert edges.edge(chart, revenue) is None  # downstream is not upstream
        assert edges.edge(revenue, view) is None  # no skipping hops
        assert edges.edge(view, dataset_urn("olist_source", "olist_orders")) is None  # no crossing instances
    finally:
        catalog.close()
