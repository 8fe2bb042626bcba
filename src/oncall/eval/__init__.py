"""The scenario bench: planted faults, incidents in plain words, and a scored answer per run.

`oncall eval` loads scenarios (`scenarios.py`), builds and sets up each distinct world once and runs the
incident loop per scenario on a copy of it (`runner.py`), scores every run (`scoring.py`) and writes
Markdown and JSON reports (`reports.py`). The runner is imported from its module, not from here: it pulls
in DataHub and the agents, which scoring and validation do not need.
"""

from __future__ import annotations

from oncall.eval.reports import (
    EvalReport,
    Summary,
    WorldRun,
    render_markdown,
    render_table,
    summarize,
    write_reports,
)
from oncall.eval.scenarios import (
    FAULT_KINDS,
    ExpectedSymptom,
    LoadedScenario,
    Scenario,
    World,
    builtin_scenarios_dir,
    load_scenarios,
    select,
)
from oncall.eval.scoring import (
    CatalogEdges,
    EdgeOracle,
    ScenarioScore,
    expected_symptom_urn,
    failed_score,
    grounding_problems,
    score_run,
)

__all__ = [
    "FAULT_KINDS",
    "CatalogEdges",
    "EdgeOracle",
    "EvalReport",
    "ExpectedSymptom",
    "LoadedScenario",
    "Scenario",
    "ScenarioScore",
    "Summary",
    "World",
    "WorldRun",
    "builtin_scenarios_dir",
    "expected_symptom_urn",
    "failed_score",
    "grounding_problems",
    "load_scenarios",
    "render_markdown",
    "render_table",
    "score_run",
    "select",
    "summarize",
    "write_reports",
]
