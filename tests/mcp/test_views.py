"""The tools' results are bounded: long lists are cut, counted, and point to the tool with the rest."""

from __future__ import annotations

from oncall.mcp.views import MAX_CHECKS, MAX_ITEMS, run_view
from oncall.quality.models import DiffEntry, DiffSide
from oncall.report.models import BlastRadiusEntry, RootCause, RunResult, Symptom


def _entry(i: int, dataset: str = "urn:li:dataset:(urn:li:dataPlatform:sqlite,prod.t,PROD)") -> DiffEntry:
    return DiffEntry(
        dataset_urn=dataset,
        assertion_urn=f"urn:li:assertion:{i}",
        native_type=f"check_{i:03}",
        status="regression",
        baseline=DiffSide(result="SUCCESS", value=0),
        production=DiffSide(result="FAILURE", value=i),
    )


def test_long_lists_are_cut_with_counts_and_hints() -> None:
    origin = "urn:li:dataset:(urn:li:dataPlatform:sqlite,prod.t,PROD)"
    result = RunResult(
        run_id="r1",
        incident="t wrong",
        verdict="root_cause_found",
        symptom=Symptom(urn="urn:li:dashboard:(superset,1)", type="dashboard", name="D"),
        root_causes=[
            RootCause(
                dataset_urn=origin,
                origin=True,
                assertions=[_entry(i) for i in range(MAX_CHECKS + 4)],
                lineage_path=["urn:li:dashboard:(superset,1)", origin],
            )
        ],
        elsewhere=[_entry(i, "urn:li:dataset:(x,other,PROD)") for i in range(MAX_ITEMS + 7)],
        blast_radius=[BlastRadiusEntry(urn=f"urn:li:chart:(superset,{i})", type="chart") for i in range(60)],
        names={origin: "t"},
    )
    view = run_view(result)
    assert len(view.blast_radius) == MAX_ITEMS and view.blast_radius_total == 60
    assert len(view.elsewhere) == MAX_ITEMS and view.elsewhere_total == MAX_ITEMS + 7
    (cause,) = view.origins
    assert len(cause.failing_checks) == MAX_CHECKS and cause.failing_checks_total == MAX_CHECKS + 4
    assert [h.urn for h in cause.lineage_path] == result.root_causes[0].lineage_path
    assert cause.lineage_path[-1].name == "t"
    hints = "\n".join(view.hints)
    assert f"blast_radius: {MAX_ITEMS} of 60 shown" in hints and "get_blast_radius" in hints
    assert f"elsewhere: {MAX_ITEMS} of {MAX_ITEMS + 7}" in hints
    assert f"diff_assertions('{origin}')" in hints and "get_postmortem('r1')" in hints


def test_short_lists_have_no_cut_hints() -> None:
    view = run_view(RunResult(run_id="r2", incident="x", verdict="no_symptom"))
    assert view.hints == ["the full report: get_postmortem('r2') (Markdown)"]
    assert view.symptom is None and view.origins == [] and view.blast_radius_total == 0
