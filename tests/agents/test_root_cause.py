"""Path-grounded root cause on the demo world's lineage, with hand-built assertion diffs."""

from __future__ import annotations

from oncall.agents.root_cause import analyse, regressed_ancestors
from oncall.quality.models import DiffStatus
from oncall.report.models import DiffEntry, DiffSide
from tests.agents._world_entities import (
    chart_urn,
    dashboard_urn,
    dataset_urn,
    upstream_nodes,
    world_entities,
)

PROD = "olist_dirty"
ENTITIES = world_entities((PROD,))


def ds(table: str) -> str:
    return dataset_urn(PROD, table)


def entry(
    table: str, check: str, status: DiffStatus = "regression", prod: float = 5.0, ref: str | None = None
) -> DiffEntry:
    failing = status in ("regression", "pre-existing")
    return DiffEntry(
        dataset_urn=ds(table),
        assertion_urn=f"urn:li:assertion:{table}-{check}",
        native_type=check,
        status=status,
        baseline=DiffSide(
            result="FAILURE" if status == "pre-existing" else "SUCCESS",
            value=prod if status == "pre-existing" else 0,
        ),
        production=DiffSide(result="FAILURE" if failing else "SUCCESS", value=prod if failing else 0),
        referenced_dataset=ds(ref) if ref else None,
    )


KIT_DIFF = [
    entry("olist_order_items", "seller_id_length_eq_32", prod=5632),
    entry("olist_products", "product_category_name_not_null", prod=988),
    entry("olist_customers", "row_count_eq_99441", prod=7955),
    entry("olist_orders", "customer_id_fk", prod=7955, ref="olist_customers"),
    entry("olist_order_items", "seller_id_fk", prod=5632, ref="olist_sellers"),
    entry("olist_geolocation", "lat_in_range", prod=3),  # not upstream of revenue: elsewhere
    entry("olist_sellers", "seller_id_not_null", status="unchanged"),
    entry("olist_order_reviews", "review_score_range", status="pre-existing", prod=2),
]


def test_kit_world_revenue_dashboard_has_the_three_planted_origins() -> None:
    symptom = dashboard_urn(PROD, "revenue")
    result = analyse(symptom, upstream_nodes(ENTITIES, symptom), KIT_DIFF)
    origins = {rc.dataset_urn: rc for rc in result.origins}
    assert set(origins) == {ds("olist_order_items"), ds("olist_products"), ds("olist_customers")}
    for rc in origins.values():
        path = rc.lineage_path
        assert path[0] == symptom and path[-1] == rc.dataset_urn
        assert [u.split(":")[2] for u in path] == ["dashboard", "chart", "dataset", "dataset"]
        assert path[2].endswith(
            tuple(f"{v},PROD)" for v in ("v_seller_performance", "v_product_sales", "v_order_details"))
        )
        assert rc.via == "lineage"
        assert rc.assertions and all(a.status == "regression" for a in rc.assertions)
    # orders regressed only because customers lost rows: a root cause, not an origin
    explained = [rc for rc in result.root_causes if not rc.origin]
    assert [rc.dataset_urn for rc in explained] == [ds("olist_orders")]
    assert explained[0].confidence < min(rc.confidence for rc in origins.values())
    assert [e.dataset_urn for e in result.elsewhere] == [ds("olist_geolocation")]
    # a failing FK check brought the referenced (clean) sellers table into scope, not as a cause
    assert ds("olist_sellers") in result.closure
    assert ds("olist_sellers") not in {rc.dataset_urn for rc in result.root_causes}


def test_fk_check_brings_the_referenced_table_in_with_the_fk_hop_on_its_path() -> None:
    symptom = chart_urn(PROD, "review_scores")  # reads v_order_reviews <- orders, order_reviews
    diff = [
        entry("olist_customers", "row_count_eq_99441"),
        entry("olist_orders", "customer_id_fk", ref="olist_customers"),
    ]
    result = analyse(symptom, upstream_nodes(ENTITIES, symptom), diff)
    (origin,) = result.origins
    assert origin.dataset_urn == ds("olist_customers")
    assert origin.via == "foreign_key"
    assert origin.lineage_path == [symptom, ds("v_order_reviews"), ds("olist_orders"), ds("olist_customers")]
    assert result.via_fk == {ds("olist_customers"): ds("olist_orders")}
    assert not result.elsewhere


def test_no_regression_upstream_names_no_cause() -> None:
    symptom = chart_urn(PROD, "payment_mix")  # v_order_payments <- orders, order_payments
    result = analyse(symptom, upstream_nodes(ENTITIES, symptom), KIT_DIFF[:3])
    assert result.root_causes == []
    assert {e.dataset_urn for e in result.elsewhere} == {
        ds("olist_order_items"),
        ds("olist_products"),
        ds("olist_customers"),
    }


def test_a_regressed_view_is_explained_by_its_regressed_table() -> None:
    symptom = chart_urn(PROD, "revenue_by_customer_state")
    diff = [entry("v_order_details", "row_count_stable"), entry("olist_customers", "row_count_eq_99441")]
    ancestors = {ds("v_order_details"): {ds("olist_orders"), ds("olist_customers"), ds("olist_order_items")}}
    result = analyse(symptom, upstream_nodes(ENTITIES, symptom), diff, ancestors)
    assert [rc.dataset_urn for rc in result.origins] == [ds("olist_customers")]
    assert {rc.dataset_urn: rc.origin for rc in result.root_causes} == {
        ds("olist_customers"): True,
        ds("v_order_details"): False,
    }


def test_mutual_fk_failures_keep_both_as_origins() -> None:
    a, b = "urn:a", "urn:b"
    fk = {a: {b}, b: {a}}
    assert regressed_ancestors(a, [a, b], {}, fk) == set()
    assert regressed_ancestors(a, [a, b], {a: {b}}, {}) == {b}


def test_history_mode_is_less_confident() -> None:
    symptom = dashboard_urn(PROD, "revenue")
    up = upstream_nodes(ENTITIES, symptom)
    base = analyse(symptom, up, KIT_DIFF).origins[0].confidence
    history_diff = [e.model_copy(update={"baseline_kind": "history"}) for e in KIT_DIFF]
    hist_origin = analyse(symptom, up, history_diff).origins[0]
    hist = hist_origin.confidence
    assert 0 < hist < base <= 0.98
    assert (
        hist_origin.baseline_kind == "history"
        and analyse(symptom, up, KIT_DIFF).origins[0].baseline_kind == "twin"
    )
