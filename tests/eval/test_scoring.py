"""The scorer on hand-built run results: precision/recall, path grounding, controls, elsewhere, costs."""

from __future__ import annotations

import json
import time
from collections.abc import Set
from pathlib import Path
from typing import Any

import pytest

from oncall.eval import (
    EvalReport,
    Scenario,
    ScenarioScore,
    WorldRun,
    failed_score,
    render_markdown,
    render_table,
    score_run,
    summarize,
    write_reports,
)
from oncall.eval.scoring import EdgeKind
from oncall.events import RunEvents
from oncall.report.models import (
    DiffEntry,
    DiffSide,
    LLMUsage,
    RootCause,
    RunResult,
    Symptom,
    Verdict,
    Write,
)
from oncall.world.urns import chart_urn, dashboard_urn, dataset_urn

PROD, BASE = "olist_dirty", "olist_source"
REVENUE = dashboard_urn(PROD, "revenue")
BY_STATE = chart_urn(PROD, "revenue_by_customer_state")
BY_CATEGORY = chart_urn(PROD, "revenue_by_category")
REVIEWS_CHART = chart_urn(PROD, "review_scores")


def ds(table: str, instance: str = PROD) -> str:
    return dataset_urn(instance, table)


class StaticEdges:
    """The real edges of a small part of the demo world's lineage, as the catalog would answer them."""

    def __init__(self, lineage: set[tuple[str, str]], fks: Set[tuple[str, str]] = frozenset()) -> None:
        self.lineage, self.fks = lineage, fks

    def edge(self, child: str, parent: str) -> EdgeKind | None:
        if (child, parent) in self.lineage:
            return "lineage"
        return "foreign_key" if (child, parent) in self.fks else None


EDGES = StaticEdges(
    {
        (REVENUE, BY_STATE),
        (REVENUE, BY_CATEGORY),
        (BY_STATE, ds("v_order_details")),
        (BY_CATEGORY, ds("v_product_sales")),
        (ds("v_order_details"), ds("olist_customers")),
        (ds("v_order_details"), ds("olist_orders")),
        (ds("v_order_details"), ds("olist_order_items")),
        (ds("v_product_sales"), ds("olist_products")),
        (ds("v_product_sales"), ds("olist_order_items")),
        (REVIEWS_CHART, ds("v_order_reviews")),
        (ds("v_order_reviews"), ds("olist_orders")),
    },
    fks={(ds("olist_orders"), ds("olist_customers"))},
)

PATHS = {
    "olist_customers": [REVENUE, BY_STATE, ds("v_order_details"), ds("olist_customers")],
    "olist_order_items": [REVENUE, BY_STATE, ds("v_order_details"), ds("olist_order_items")],
    "olist_products": [REVENUE, BY_CATEGORY, ds("v_product_sales"), ds("olist_products")],
    "olist_orders": [REVENUE, BY_STATE, ds("v_order_details"), ds("olist_orders")],
}


def scenario(**fields: object) -> Scenario:
    base: dict[str, object] = {
        "name": "revenue",
        "incident": "revenue dashboard wrong",
        "symptom": {"type": "dashboard", "name": "Revenue"},
        "faults": "kit",
        "origins": ["olist_customers", "olist_order_items", "olist_products"],
    }
    return Scenario.model_validate(base | fields)


def regression(table: str, check: str = "row_count") -> DiffEntry:
    return DiffEntry(
        dataset_urn=ds(table),
        assertion_urn=f"urn:li:assertion:{table}-{check}",
        native_type=check,
        status="regression",
        baseline=DiffSide(result="SUCCESS", value=0),
        production=DiffSide(result="FAILURE", value=12),
    )


def cause(table: str, *, origin: bool = True, path: list[str] | None = None) -> RootCause:
    return RootCause(
        dataset_urn=ds(table),
        origin=origin,
        assertions=[regression(table)],
        lineage_path=PATHS[table] if path is None else path,
        confidence=0.9,
    )


def result(
    causes: list[RootCause],
    *,
    symptom: str = REVENUE,
    verdict: Verdict = "root_cause_found",
    elsewhere: list[DiffEntry] | None = None,
    writes: list[Write] | None = None,
    llm_calls: int = 0,
) -> RunResult:
    return RunResult(
        run_id="r1",
        incident="revenue dashboard wrong",
        verdict=verdict,
        symptom=Symptom(urn=symptom, type=symptom.split(":")[2], name="Revenue"),
        root_causes=causes,
        elsewhere=elsewhere or [],
        writes=writes or [],
        llm=LLMUsage(calls=llm_calls),
    )


KIT_ORIGINS = [cause("olist_customers"), cause("olist_order_items"), cause("olist_products")]


def score(sc: Scenario, res: RunResult, **kwargs: Any) -> ScenarioScore:
    return score_run(sc, res, edges=EDGES, production_instance=PROD, world="kit", **kwargs)


def test_right_answer_passes_with_perfect_precision_and_recall() -> None:
    s = score(scenario(), result(KIT_ORIGINS))
    assert s.passed, s.failures
    assert (s.precision, s.recall, s.true_positives) == (1.0, 1.0, 3)
    assert s.symptom.ok and s.grounded.ok and s.verdict.ok
    assert s.elsewhere.ok is None  # the scenario expects nothing elsewhere


def test_explained_root_causes_are_not_counted_as_origins() -> None:
    s = score(scenario(), result([*KIT_ORIGINS, cause("olist_orders", origin=False)]))
    assert s.passed and s.predicted == 3


def test_an_extra_origin_costs_precision() -> None:
    s = score(scenario(origins=["olist_customers", "olist_order_items"]), result(KIT_ORIGINS))
    assert s.precision == pytest.approx(2 / 3) and s.recall == 1.0
    assert not s.passed
    assert any("origins: expected olist_customers, olist_order_items" in f for f in s.failures)


def test_a_missing_origin_costs_recall() -> None:
    s = score(scenario(), result(KIT_ORIGINS[:1]))
    assert s.precision == 1.0 and s.recall == pytest.approx(1 / 3)
    assert not s.passed


def test_an_origin_in_the_baseline_instance_does_not_count() -> None:
    wrong = RootCause(dataset_urn=ds("olist_products", BASE), origin=True, lineage_path=[REVENUE])
    s = score(scenario(), result([*KIT_ORIGINS[:2], wrong]))
    assert s.true_positives == 2 and s.recall == pytest.approx(2 / 3)
    assert s.origins.got is not None and f"{BASE}.main.olist_products" in s.origins.got


def test_symptom_must_be_the_production_entity() -> None:
    s = score(scenario(), result(KIT_ORIGINS, symptom=dashboard_urn(BASE, "revenue")))
    assert not s.symptom.ok and not s.passed
    assert "expected dashboard 'Revenue'" in s.failures[0]


def test_view_symptom_resolves_to_the_dataset() -> None:
    view = ds("v_order_details")
    sc = scenario(symptom={"type": "view", "name": "v_order_details"}, origins=["olist_customers"])
    path = [view, ds("olist_customers")]
    s = score(sc, result([cause("olist_customers", path=path)], symptom=view))
    assert s.passed, s.failures


def test_a_hop_missing_from_the_catalog_is_ungrounded() -> None:
    shortcut = [REVENUE, ds("v_product_sales"), ds("olist_products")]  # skips the chart
    s = score(scenario(), result([*KIT_ORIGINS[:2], cause("olist_products", path=shortcut)]))
    assert not s.grounded.ok and not s.passed
    assert s.origins.ok  # the right tables, but one without a real path
    assert s.grounded.got is not None
    assert any("no edge olist_dirty.revenue -> olist_dirty.main.v_product_sales" in p for p in s.grounded.got)


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ([], "no lineage path"),
        ([BY_STATE, ds("v_order_details"), ds("olist_customers")], "not at the symptom"),
        ([REVENUE, BY_STATE, ds("v_order_details")], "not at the origin"),
    ],
)
def test_paths_must_run_from_the_symptom_to_the_origin(path: list[str], problem: str) -> None:
    s = score(scenario(), result([cause("olist_customers", path=path), *KIT_ORIGINS[1:]]))
    assert not s.grounded.ok and s.grounded.got is not None
    assert any(problem in p for p in s.grounded.got)


def test_a_foreign_key_hop_is_grounded_when_the_check_references_it() -> None:
    path = [REVIEWS_CHART, ds("v_order_reviews"), ds("olist_orders"), ds("olist_customers")]
    sc = scenario(symptom={"type": "chart", "name": "review scores"}, origins=["olist_customers"])
    res = result(
        [cause("olist_customers", path=path), cause("olist_orders", origin=False)], symptom=REVIEWS_CHART
    )
    s = score(sc, res)
    assert s.passed, s.failures
    reversed_fk = [REVIEWS_CHART, ds("v_order_reviews"), ds("olist_customers")]
    s = score(sc, result([cause("olist_customers", path=reversed_fk)], symptom=REVIEWS_CHART))
    assert not s.grounded.ok


def test_elsewhere_must_be_reported_and_never_a_cause() -> None:
    sc = scenario(
        symptom={"type": "chart", "name": "Review scores"}, origins=[], elsewhere=["olist_order_payments"]
    )
    payments = regression("olist_order_payments", "payment_type_accepted")
    right = score(sc, result([], symptom=REVIEWS_CHART, verdict="no_regression", elsewhere=[payments]))
    assert right.passed and right.elsewhere.ok, right.failures
    missing = score(sc, result([], symptom=REVIEWS_CHART, verdict="no_regression"))
    assert missing.elsewhere.ok is False and not missing.passed
    as_cause = RootCause(dataset_urn=ds("olist_order_payments"), origin=False, lineage_path=[REVIEWS_CHART])
    both = score(sc, result([as_cause], symptom=REVIEWS_CHART, verdict="no_regression", elsewhere=[payments]))
    assert both.elsewhere.ok is False


def test_control_needs_no_regression_and_no_incident() -> None:
    sc = scenario(faults=None, origins=[], control=True)
    quiet = result(
        [], verdict="no_regression", writes=[Write(urn="urn:li:tag:x", aspect="globalTags", action="skipped")]
    )
    assert score(sc, quiet).passed
    noisy = result(
        [],
        verdict="no_regression",
        writes=[Write(urn="urn:li:incident:1", aspect="incidentInfo", action="create", verified=True)],
    )
    s = score(sc, noisy)
    assert s.no_incident_ok is False and "control wrote 1 incident(s)" in s.failures
    invented = score(sc, result(KIT_ORIGINS))
    assert not invented.verdict.ok and invented.precision == 0.0


def test_costs_come_from_events_and_usage() -> None:
    events = RunEvents("r1")
    events.emit("coordinator", "run_started", {})
    events.emit("detective", "tool_call", {"tool": "search", "queries": [{"text": "q1"}, {"text": "q2"}]})
    events.emit("reality_checker", "tool_call", {"tool": "assertions", "query": "SELECT 1"})
    events.emit("coordinator", "run_finished", {})
    s = score(scenario(), result(KIT_ORIGINS, llm_calls=4), events=events.events, wall_ms=12.5)
    assert (s.catalog_calls, s.catalog_queries, s.model_calls) == (2, 3, 4)
    assert s.verdict_ms is not None and 0 <= s.verdict_ms < 1000  # no phase timings: the events' span
    timed = result(KIT_ORIGINS)
    timed.timings_ms = {
        "plan": 1.0,
        "investigate": 10.0,
        "root_cause": 2.5,
        "fix_and_synthesise": 30.0,
        "total": 45.0,
    }
    assert score(scenario(), timed, wall_ms=50.0).verdict_ms == 13.5  # the writes come after the verdict


def test_summary_is_micro_averaged_and_rendered(tmp_path: Path) -> None:
    good = score(scenario(), result(KIT_ORIGINS))
    partial = score(scenario(name="partial"), result(KIT_ORIGINS[:2]))
    control = score(
        scenario(name="ctl", faults=None, origins=[], control=True), result([], verdict="no_regression")
    )
    crashed = failed_score(scenario(name="boom"), world="kit", error="CatalogError: locked")
    summary = summarize([good, partial, control, crashed])
    assert summary.origin_precision == 1.0
    assert summary.origin_recall == pytest.approx(round(5 / 9, 4))
    assert (summary.passed, summary.errors, summary.control_accuracy) == (2, 1, 1.0)
    report = EvalReport(
        started_at=time.time(),
        total_s=3.0,
        options={"scale": 0.1, "seed": 42, "llm_preset": "offline"},
        worlds=[
            WorldRun(
                key="builtin:kit",
                label="kit",
                faults=[{"table": "olist_customers", "kind": "delete_rows", "fraction": 0.08}],
                rows_touched=[795],
                scenarios=["revenue"],
                build_s=1,
                setup_s=2,
            )
        ],
        scores=[good, partial, control, crashed],
        summary=summary,
    )
    table = render_table(report)
    assert "partial" in table and "FAIL" in table and "ERROR" in table
    markdown = render_markdown(report, "oncall eval --scale 0.1")
    assert "| origin recall | 55.6% |" in markdown
    assert "`boom`: error: CatalogError: locked" in markdown
    assert "| kit | delete_rows olist_customers (795 rows) | 1 | 1.0 | 2.0 |" in markdown
    md_path, json_path = write_reports(report, tmp_path / "eval", "oncall eval --scale 0.1")
    assert md_path.read_text() == (tmp_path / "eval" / "latest.md").read_text() == markdown
    again = EvalReport.model_validate(json.loads(json_path.read_text()))
    assert again.summary == summary and [s.name for s in again.scores] == [
        "revenue",
        "partial",
        "ctl",
        "boom",
    ]


def test_model_judgement_is_summed_per_role_and_rendered() -> None:
    from oncall.report.models import RoleUsage

    def with_roles(**roles: RoleUsage) -> ScenarioScore:
        res = result(KIT_ORIGINS)
        res.llm = LLMUsage(
            preset="local", calls=3, roles=roles, local_server={"started": True, "load_ms": 812.0}
        )
        return score(scenario(), res)

    first = with_roles(
        detective=RoleUsage(
            model="smol",
            calls=1,
            used=0,
            rejected=1,
            replaced=1,
            rejections={"<urn> is not one of the candidate URNs": 2},
            failures={"rejected": 1},
            latency_ms=[900.0],
            tokens_in=400,
            tokens_out=30,
        ),
        coordinator=RoleUsage(
            model="smol", calls=2, used=2, latency_ms=[300.0, 500.0], tokens_in=100, tokens_out=60
        ),
    )
    second = with_roles(detective=RoleUsage(model="smol", calls=1, used=1, latency_ms=[700.0], tokens_in=380))
    summary = summarize([first, second])
    detective = summary.model_roles["detective"]
    assert (detective.calls, detective.used, detective.rejected, detective.replaced) == (2, 1, 1, 1)
    assert detective.latency_ms_median == 800.0 and detective.latency_ms_max == 900.0
    assert detective.rejections == {"<urn> is not one of the candidate URNs": 2}
    assert summary.model_server_load_ms == 812.0
    report = EvalReport(
        started_at=time.time(), total_s=1.0, options={}, worlds=[], scores=[first], summary=summary
    )
    markdown = render_markdown(report)
    assert "### Model judgement per role" in markdown
    assert "| detective | smol | 2 | 1 | 1 | 1 | 800 ms / 900 ms | 780 / 30 |" in markdown
    assert (
        "- detective: 2 x <urn> is not one of the candidate URNs (calls that failed: rejected 1)" in markdown
    )
    assert "| local model server load | 812 ms |" in markdown
    assert "Model judgement per role:" in render_table(report)
