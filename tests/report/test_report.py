"""Postmortem, Slack message and quarantine snippet, built from a hand-made run result."""

from __future__ import annotations

import ast
from typing import Any

from oncall.report.models import BlastRadiusEntry, DiffEntry, DiffSide, RootCause, RunResult, Symptom, Write
from oncall.report.postmortem import build_postmortem, display_name, rerun_steps
from oncall.report.quarantine import QUARANTINE_TAG, quarantine_snippet
from oncall.report.slack import draft_slack, post_slack
from tests.plugins.report import SlackHook

DASH = "urn:li:dashboard:(superset,olist_dirty.revenue)"
CHART = "urn:li:chart:(superset,olist_dirty.revenue_by_seller)"
VIEW = "urn:li:dataset:(urn:li:dataPlatform:sqlite,olist_dirty.main.v_seller_performance,PROD)"
ITEMS = "urn:li:dataset:(urn:li:dataPlatform:sqlite,olist_dirty.main.olist_order_items,PROD)"
GEO = "urn:li:dataset:(urn:li:dataPlatform:sqlite,olist_dirty.main.olist_geolocation,PROD)"


def _entry(dataset: str, check: str, prod: float) -> DiffEntry:
    return DiffEntry(
        dataset_urn=dataset,
        assertion_urn=f"urn:li:assertion:{check}",
        native_type=check,
        status="regression",
        baseline=DiffSide(result="SUCCESS", value=0),
        production=DiffSide(result="FAILURE", value=prod),
    )


def result(**overrides: Any) -> RunResult:
    base = RunResult(
        run_id="r1",
        incident="seller leaderboard revenue dropped",
        verdict="root_cause_found",
        symptom=Symptom(urn=CHART, type="chart", name="Revenue by seller"),
        scope=[CHART, VIEW, ITEMS],
        root_causes=[
            RootCause(
                dataset_urn=ITEMS,
                origin=True,
                assertions=[_entry(ITEMS, "seller_id_length_eq_32", 5632)],
                lineage_path=[CHART, VIEW, ITEMS],
                confidence=0.9,
            )
        ],
        elsewhere=[_entry(GEO, "lat_in_range", 3)],
        blast_radius=[
            BlastRadiusEntry(urn=VIEW, type="dataset", name="v_seller_performance", origins=[ITEMS]),
            BlastRadiusEntry(
                urn=DASH,
                type="dashboard",
                name="Revenue",
                owners=["urn:li:corpGroup:finance_team"],
                origins=[ITEMS],
            ),
        ],
        writes=[Write(urn="urn:li:incident:x", aspect="incidentInfo", action="create", verified=True)],
        names={CHART: "Revenue by seller", VIEW: "v_seller_performance", ITEMS: "olist_order_items"},
    )
    return base.model_copy(update=overrides)


def test_postmortem_has_every_section_and_the_evidence_chain() -> None:
    md = build_postmortem(result()).to_markdown()
    for heading in (
        "# Postmortem: Revenue by seller",
        "## Summary",
        "## Impact",
        "## Root cause",
        "## Resolution",
        "## Follow-ups",
    ):
        assert heading in md
    assert "`Revenue by seller` → `v_seller_performance` → `olist_order_items`" in md
    assert "`seller_id_length_eq_32`: 5632 observed, 0 expected (baseline: twin, SUCCESS)" in md
    assert "finance_team" in md
    assert "Also failing elsewhere" in md and "olist_geolocation" in md
    assert "create `incidentInfo`" in md and "(verified)" in md


def test_no_regression_postmortem_names_no_cause() -> None:
    pm = build_postmortem(result(verdict="no_regression", root_causes=[], blast_radius=[], writes=[]))
    assert pm.summary == "No data-quality regression found upstream of Revenue by seller."
    assert pm.root_cause == [] and "No root cause named" in pm.to_markdown()


def test_impact_lists_fifty_of_each_type_and_counts_the_rest() -> None:
    from oncall.report.postmortem import IMPACT_LINES_PER_TYPE

    many = [
        BlastRadiusEntry(
            urn=f"urn:li:dataset:(urn:li:dataPlatform:x,d{i:03d},PROD)",
            type="dataset",
            name=f"d{i:03d}",
            origins=[ITEMS],
        )
        for i in range(IMPACT_LINES_PER_TYPE + 7)
    ]
    dash = BlastRadiusEntry(urn=DASH, type="dashboard", name="Revenue", origins=[ITEMS])
    pm = build_postmortem(result(blast_radius=[*many, dash]))
    md = pm.to_markdown()
    assert len(pm.impact) == IMPACT_LINES_PER_TYPE + 8  # the object keeps every entity
    assert f"**d{IMPACT_LINES_PER_TYPE - 1:03d}**" in md and f"**d{IMPACT_LINES_PER_TYPE:03d}**" not in md
    assert "and 7 more datasets" in md
    assert md.index("and 7 more datasets") < md.index("**Revenue**")  # the count sits with its type
    assert "more dashboard" not in md


def test_dry_run_resolution_says_nothing_was_written() -> None:
    pm = build_postmortem(result(dry_run=True, writes=[]))
    assert pm.resolution == ["Dry run: nothing was written to DataHub."]


def test_display_name_falls_back_to_the_urn_parts() -> None:
    assert display_name(ITEMS) == "olist_order_items"
    assert display_name(DASH) == "revenue"
    assert display_name("urn:li:tag:x") == "urn:li:tag:x"


def test_slack_message_names_origins_path_and_owners() -> None:
    text = draft_slack(result())
    assert "olist_order_items" in text and "`seller_id_length_eq_32`" in text
    assert "Revenue by seller → v_seller_performance → olist_order_items" in text
    assert "finance_team" in text


def test_quarantine_snippet_is_python_touching_only_the_origins() -> None:
    code = quarantine_snippet([ITEMS], gms_url="http://gms:8080")
    tree = ast.parse(code)
    strings = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    assert ITEMS in strings and QUARANTINE_TAG in strings and "http://gms:8080" in strings
    assert not [s for s in strings if s.startswith("urn:li:dataset") and s != ITEMS]
    assert quarantine_snippet([]).startswith("# Nothing to quarantine")


def test_post_slack_sends_the_text_to_the_webhook(slack_webhook: SlackHook) -> None:
    outcome = post_slack(slack_webhook.url, "hello on-call")
    assert outcome == {"ok": True, "status": 200, "error": None}
    assert slack_webhook.received == [{"text": "hello on-call"}]


def test_post_slack_reports_failures_instead_of_raising(slack_webhook: SlackHook) -> None:
    slack_webhook.status = 500
    assert post_slack(slack_webhook.url, "x")["status"] == 500
    closed = post_slack("http://127.0.0.1:9/hook", "x", timeout_s=0.5)  # nothing listens on port 9
    assert closed["ok"] is False and closed["error"]


def test_no_symptom_postmortem_says_nothing_was_investigated() -> None:
    pm = build_postmortem(
        result(verdict="no_symptom", symptom=None, root_causes=[], blast_radius=[], writes=[])
    )
    md = pm.to_markdown()
    assert "nothing was investigated" in md and "oncall catalog search" in md
    assert "no data-quality regression" not in md


def test_the_rerun_step_names_who_runs_each_failing_check() -> None:
    """Our suites re-run with `oncall assertions run`; dbt tests with dbt and an ingest of the results;
    any other tool's checks where they run (`oncall assertions run` cannot run them)."""

    def failing(source: str | None, suite: str | None = None) -> DiffEntry:
        return _entry(ITEMS, f"check_{source}_{suite}", 3).model_copy(
            update={"source": source, "suite": suite}
        )

    ours = rerun_steps([failing("sqlite", "kit")])
    assert len(ours) == 1 and "`oncall assertions run`" in ours[0]
    dbt = rerun_steps([failing("dbt")])
    assert len(dbt) == 1 and "dbt build" in dbt[0] and "oncall ingest" in dbt[0]
    assert "oncall assertions" not in dbt[0]
    mixed = rerun_steps([failing("snowflake"), failing("great_expectations"), failing(None), failing("dbt")])
    assert len(mixed) == 2 and "the great_expectations, snowflake checks where they run" in mixed[1]
    assert rerun_steps([failing(None)]) == [
        "Re-run the checks where they run and confirm they pass in DataHub."
    ]
    assert rerun_steps([]) == []
    assert [failing("sqlite", "suites/mine.yml").run_by, failing("dbt").run_by, failing(None).run_by] == [
        "oncall:mine",
        "dbt",
        "-",
    ]
    assert failing("dbt").model_dump()["run_by"] == "dbt"  # the console reads it from the JSON


def test_report_package_exports() -> None:
    import oncall.report

    assert all(hasattr(oncall.report, name) for name in oncall.report.__all__)
    assert {"RunResult", "build_postmortem", "draft_slack", "quarantine_snippet"} <= set(
        oncall.report.__all__
    )
