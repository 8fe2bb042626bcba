"""The dbt world's bench: scenarios load, the scorer collapses siblings, and the issue's "Done when"."""

from __future__ import annotations

from pathlib import Path

import pytest

from oncall.config import load_config
from oncall.errors import ScenarioError
from oncall.eval.dbt_world import DbtScenario, load_dbt_scenarios, node_name, score_dbt_run
from oncall.eval.scoring import EdgeKind
from oncall.report.models import RootCause, RunResult, Symptom
from tests.plugins.agents import RunOffline

DBT = "urn:li:dataPlatform:dbt"
DUCKDB = "urn:li:dataPlatform:duckdb"


def _ds(platform: str, name: str) -> str:
    return f"urn:li:dataset:({platform},warehouse.main.{name},PROD)"


class _Edges:
    def __init__(self, edges: set[tuple[str, str]]) -> None:
        self._edges = edges

    def edge(self, child: str, parent: str) -> EdgeKind | None:
        return "lineage" if (child, parent) in self._edges else None


def test_the_shipped_scenarios_cover_the_issue() -> None:
    scenarios = load_dbt_scenarios()
    assert len(scenarios) >= 12
    assert sum(s.control for s in scenarios) >= 3
    assert any(s.catalog == "passing" for s in scenarios)
    assert all(s.control == (not s.origins) for s in scenarios)


def test_a_bad_scenario_file_names_the_entry(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("scenarios:\n  - {name: a, incident: x, symptom: y, catalog: dirty}\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"scenarios\[0\]\.catalog"):
        load_dbt_scenarios(path)


def test_siblings_score_as_one_node() -> None:
    assert node_name(_ds(DBT, "fct_mrr")) == node_name(_ds(DUCKDB, "fct_mrr")) == "fct_mrr"
    scenario = DbtScenario(name="s", incident="MRR report is wrong", symptom="fct_mrr", origins=["stg_x"])
    path = [_ds(DUCKDB, "fct_mrr"), _ds(DBT, "fct_mrr"), _ds(DBT, "stg_x")]
    result = RunResult(
        run_id="r",
        incident=scenario.incident,
        verdict="root_cause_found",
        symptom=Symptom(urn=path[0], type="dataset", name="fct_mrr"),
        root_causes=[RootCause(dataset_urn=path[-1], origin=True, lineage_path=path)],
    )
    edges = _Edges({(path[0], path[1]), (path[1], path[2])})
    score = score_dbt_run(scenario, result, edges=edges)
    assert score.passed, score.failures
    broken = score_dbt_run(scenario, result, edges=_Edges(set()))
    assert not broken.passed and "grounding" in broken.failures[0]


def test_the_bench_runs_and_reports_each_catalog(dbt_world: Path) -> None:
    from oncall.eval.dbt_world import run_dbt_eval

    chosen = [s for s in load_dbt_scenarios() if s.name in ("dbt-control-clean-mrr", "dbt-mrr-report")]
    report = run_dbt_eval(chosen, world=dbt_world)
    assert [s.name for s in report.scores] == ["dbt-mrr-report", "dbt-control-clean-mrr"]
    assert {w.label: w.scenarios for w in report.worlds} == {
        "dbt-failing": ["dbt-mrr-report"],
        "dbt-passing": ["dbt-control-clean-mrr"],
    }
    assert all(s.error is None for s in report.scores), [s.error for s in report.scores]
    control = report.scores[1]
    assert control.control and control.symptom.ok and control.verdict.ok and control.no_incident_ok
    assert report.summary.scenarios == 2


def test_done_when_a_dbt_only_catalog_gets_the_right_origins(
    dbt_lite_copy: Path, run_offline: RunOffline
) -> None:
    """A DataHub filled only by `oncall ingest` of dbt artifacts: no setup, no config.yaml."""
    assert sorted(p.name for p in dbt_lite_copy.iterdir() if not p.name.startswith("datahub.db")) == []
    result, _events = run_offline(load_config(dbt_lite_copy, environ={}), "MRR report is wrong")
    assert result.symptom is not None and node_name(result.symptom.urn) == "fct_mrr"
    assert [node_name(o.dataset_urn) for o in result.origins] == ["stg_subscriptions"]
    failing = [a for a in result.origins[0].assertions if a.status == "regression"]
    assert failing, "the origin's failing dbt test is its evidence"
    test = failing[0]
    assert test.native_type != "dbt" and "relationships" in test.native_type  # the dbt test's name
    assert test.production.value == 21  # dbt's failures count: 21 subscriptions with an unknown plan
    assert test.referenced_dataset is not None and node_name(test.referenced_dataset) == "stg_plans"
    # One node per model: no model appears twice (dbt node and warehouse table) anywhere.
    for urns in (
        [o.dataset_urn for o in result.root_causes],
        [d.dataset_urn for d in result.elsewhere],
        [b.urn for b in result.blast_radius],
    ):
        names = [node_name(u) for u in urns]
        assert len(names) == len(set(names)), names
    path = [node_name(u) for u in result.origins[0].lineage_path]
    assert len(path) == len(set(path)), path
    # The checks are dbt's: re-run by dbt and an ingest, not by `oncall assertions run` (our suites).
    assert test.source == "dbt" and test.suite is None and test.run_by == "dbt"
    steps = result.postmortem_markdown.split("## Follow-ups", 1)[1]
    assert "dbt build" in steps and "oncall assertions run" not in steps
