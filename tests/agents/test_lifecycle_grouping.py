"""Grouping and routing, pure: origins from a loop answer, shared answers, priority."""

from __future__ import annotations

from oncall.agents.lifecycle.grouping import group_failures, merge_groups, priority
from oncall.agents.lifecycle.handler import _covered
from oncall.catalog.run_events import RunEvent
from oncall.report.models import BlastRadiusEntry, DiffEntry, DiffSide, RootCause, RunResult

SRC, MID, MART, DASH = "urn:li:dataset:src", "urn:li:dataset:mid", "urn:li:dataset:mart", "urn:li:dashboard:d"


def _event(dataset: str, check: str, ts: int = 1) -> RunEvent:
    return RunEvent(
        position=ts,
        assertion_urn=f"urn:li:assertion:{check}",
        dataset_urn=dataset,
        timestamp_ms=ts,
        run_id="r",
        result="FAILURE",
    )


def _answer() -> RunResult:
    own = DiffEntry(
        dataset_urn=SRC,
        assertion_urn="urn:li:assertion:src_rows",
        native_type="src_rows",
        status="regression",
        baseline=DiffSide(result="SUCCESS"),
        production=DiffSide(result="FAILURE", timestamp_ms=5),
    )
    return RunResult(
        run_id="run-1",
        incident="failing assertions on mart",
        root_causes=[
            RootCause(dataset_urn=SRC, origin=True, assertions=[own], lineage_path=[MART, MID, SRC])
        ],
        blast_radius=[
            BlastRadiusEntry(urn=MID, type="dataset", origins=[SRC]),
            BlastRadiusEntry(urn=DASH, type="dashboard", origins=[SRC]),
        ],
    )


def test_failures_join_the_origins_incident_with_its_own_checks() -> None:
    (group,) = group_failures(MART, [_event(MART, "mart_rows", 9)], _answer())
    assert group.origin == SRC and group.dashboards == [DASH] and group.paths == [[MART, MID, SRC]]
    assert [f.assertion_urn for f in group.failures] == [
        "urn:li:assertion:src_rows",
        "urn:li:assertion:mart_rows",
    ]


def test_no_origin_means_its_own_origin() -> None:
    (group,) = group_failures(MART, [_event(MART, "a")], None, downstream=[(DASH, "dashboard")])
    assert group.origin == MART and group.dashboards == [DASH] and "own origin" in group.note


def test_an_answer_covers_the_datasets_on_its_paths_only() -> None:
    answer = _answer()
    covered = _covered(MID, [answer])
    assert covered is not None and covered.origins[0].lineage_path == [MID, SRC]
    assert _covered("urn:li:dataset:other", [answer]) is None
    merged = merge_groups(
        [
            *group_failures(MART, [_event(MART, "a")], answer),
            *group_failures(MID, [_event(MID, "b")], covered),
        ]
    )
    assert list(merged) == [SRC] and len(merged[SRC].failures) == 3


def test_priority_from_blast_radius_and_dashboards() -> None:
    assert [priority(0, 0), priority(1, 0), priority(5, 0), priority(10, 0)] == [3, 2, 1, 0]
    assert priority(1, 1) == 1 and priority(2, 2) == 0
