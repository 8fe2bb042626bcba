"""Score one incident run against its scenario: pure functions over a `RunResult`.

What counts (issue 7): the symptom is the expected entity in the production instance; the origins match
the expected tables (precision and recall); every origin is path-grounded (its lineage path starts at
the symptom, ends at the origin, and each hop is a real edge in the catalog); tables expected
"elsewhere" are reported there and never as a cause; the verdict is the expected one; a control writes
no incident. Costs are counted from the run's events and usage: catalog calls (`tool_call` events),
the queries they ran, model calls, and the time to the verdict.

The only outside knowledge the scorer needs is which hops are real, behind the small `EdgeOracle`
protocol: `CatalogEdges` answers from a catalog, tests can answer from a fixed set of edges.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from itertools import pairwise
from typing import Literal, Protocol

from pydantic import BaseModel, Field

from oncall.catalog.base import Catalog
from oncall.catalog.urns import InvalidUrnError, parse_urn
from oncall.eval.scenarios import ExpectedSymptom, Scenario
from oncall.events import Event
from oncall.report.models import RoleUsage, RunResult
from oncall.world.bi import CHARTS, DASHBOARDS
from oncall.world.urns import chart_urn, dashboard_urn, dataset_urn, table_in

__all__ = [
    "CatalogEdges",
    "Criterion",
    "EdgeKind",
    "EdgeOracle",
    "ScenarioScore",
    "expected_symptom_urn",
    "failed_score",
    "finish_score",
    "grounding_problems",
    "score_run",
]

EdgeKind = Literal["lineage", "foreign_key"]
INCIDENT_ASPECT = "incidentInfo"
VERDICT_PHASES = ("plan", "investigate", "root_cause")
"""The loop's sequential phases (`RunResult.timings_ms`) that end with the verdict."""


class EdgeOracle(Protocol):
    """Which hops of a lineage path exist."""

    def edge(self, child: str, parent: str) -> EdgeKind | None:
        """How `parent` feeds `child`: a 1-hop upstream lineage edge, an FK check's reference, or None."""
        ...


class CatalogEdges:
    """Answers `edge` from the catalog: 1-hop upstream lineage, or a dataset's FK assertion reference."""

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog
        self._upstream = cache(self._load_upstream)
        self._references = cache(self._load_references)

    def edge(self, child: str, parent: str) -> EdgeKind | None:
        """How `parent` feeds `child`, checked against the catalog."""
        if parent in self._upstream(child):
            return "lineage"
        if parent in self._references(child):
            return "foreign_key"
        return None

    def _load_upstream(self, urn: str) -> frozenset[str]:
        return frozenset(n.ref.urn for n in self._catalog.lineage(urn, direction="upstream", hops=1))

    def _load_references(self, urn: str) -> frozenset[str]:
        if not urn.startswith("urn:li:dataset:"):
            return frozenset()
        refs = (a.referenced_dataset for a in self._catalog.assertions(urn, history=1))
        return frozenset(r for r in refs if r)


class Criterion(BaseModel):
    """Expected against got for one criterion."""

    ok: bool | None
    """None when the criterion does not apply to this scenario."""
    expected: str | list[str] | None = None
    got: str | list[str] | None = None


class ScenarioScore(BaseModel):
    """How one run did on its scenario."""

    name: str
    incident: str
    world: str
    control: bool = False
    passed: bool = False
    error: str | None = None
    """The run (or its world) failed before a result existed."""
    symptom: Criterion = Field(default_factory=lambda: Criterion(ok=False))
    origins: Criterion = Field(default_factory=lambda: Criterion(ok=False))
    true_positives: int = 0
    predicted: int = 0
    expected: int = 0
    precision: float = 0.0
    recall: float = 0.0
    grounded: Criterion = Field(default_factory=lambda: Criterion(ok=False))
    elsewhere: Criterion = Field(default_factory=lambda: Criterion(ok=None))
    verdict: Criterion = Field(default_factory=lambda: Criterion(ok=False))
    incidents_written: int = 0
    writes_verified: bool = True
    no_incident_ok: bool | None = None
    """Controls only: no incident was written."""
    verdict_ms: float | None = None
    wall_ms: float | None = None
    catalog_calls: int = 0
    catalog_queries: int = 0
    model_calls: int = 0
    model_roles: dict[str, RoleUsage] = Field(default_factory=dict)
    """Per role with a model: answers used, rejected by verification, replaced by the procedure."""
    model_server_load_ms: float | None = None
    """Load time of the local model server when this run started it (later runs reuse it)."""
    degraded: list[str] = Field(default_factory=list)
    failures: list[str] = Field(default_factory=list)
    """Why it did not pass, one line per criterion."""
    run_id: str | None = None


def expected_symptom_urn(symptom: ExpectedSymptom, instance: str) -> str:
    """The URN the expected symptom has in `instance`."""
    if symptom.type == "dashboard":
        dash = next(d for d in DASHBOARDS if d.title == symptom.title)
        return dashboard_urn(instance, dash.id)
    if symptom.type == "chart":
        chart = next(c for c in CHARTS if c.title == symptom.title)
        return chart_urn(instance, chart.id)
    return dataset_urn(instance, symptom.name)


def score_run(
    scenario: Scenario,
    result: RunResult,
    *,
    edges: EdgeOracle,
    production_instance: str,
    world: str = "",
    events: Sequence[Event] = (),
    wall_ms: float | None = None,
) -> ScenarioScore:
    """Score `result` against `scenario` (see the module docstring for the criteria)."""
    score = ScenarioScore(
        name=scenario.name,
        incident=scenario.incident,
        world=world,
        control=scenario.control,
        run_id=result.run_id,
        wall_ms=wall_ms,
        degraded=list(result.degraded),
    )
    _score_symptom(score, scenario, result, production_instance)
    _score_origins(score, scenario, result, production_instance)
    problems = grounding_problems(result, edges)
    score.grounded = Criterion(ok=not problems, got=problems or None)
    _score_elsewhere(score, scenario, result, production_instance)
    score.verdict = Criterion(
        ok=result.verdict == scenario.expected_verdict, expected=scenario.expected_verdict, got=result.verdict
    )
    return finish_score(score, result, events, wall_ms)


def finish_score(
    score: ScenarioScore, result: RunResult, events: Sequence[Event], wall_ms: float | None
) -> ScenarioScore:
    """What every world's scoring ends with, once its own criteria are in `score`: the writes (a control
    must write no incident: `score.control`), the costs, and the failures that decide `passed`."""
    _score_writes(score, result)
    _score_costs(score, result, events, wall_ms)
    score.failures = _failures(score)
    score.passed = not score.failures
    return score


class ScenarioLike(Protocol):
    """What a failed score needs of a scenario (the Olist `Scenario` and the dbt world's both fit)."""

    @property
    def name(self) -> str: ...
    @property
    def incident(self) -> str: ...
    @property
    def control(self) -> bool: ...
    @property
    def origins(self) -> list[str]: ...
    @property
    def elsewhere(self) -> list[str]: ...


def failed_score(scenario: ScenarioLike, *, world: str, error: str) -> ScenarioScore:
    """The score of a scenario whose run (or world) raised: everything fails, with the reason."""
    return ScenarioScore(
        name=scenario.name,
        incident=scenario.incident,
        world=world,
        control=scenario.control,
        error=error,
        expected=len(scenario.origins),
        recall=0.0,
        elsewhere=Criterion(ok=False if scenario.elsewhere else None, expected=scenario.elsewhere or None),
        failures=[f"error: {error}"],
    )


def grounding_problems(result: RunResult, edges: EdgeOracle) -> list[str]:
    """Why origins are not path-grounded (empty = all are): path from the symptom, every hop real."""
    if not result.origins:
        return []
    if result.symptom is None:
        return ["origins named without a symptom"]
    problems: list[str] = []
    for rc in result.origins:
        name = _short(rc.dataset_urn)
        path = rc.lineage_path
        if not path:
            problems.append(f"{name}: no lineage path")
            continue
        if path[0] != result.symptom.urn:
            problems.append(f"{name}: path starts at {_short(path[0])}, not at the symptom")
        if path[-1] != rc.dataset_urn:
            problems.append(f"{name}: path ends at {_short(path[-1])}, not at the origin")
        for child, parent in pairwise(path):
            if edges.edge(child, parent) is None:
                problems.append(f"{name}: no edge {_short(child)} -> {_short(parent)} in the catalog")
    return problems


def _score_symptom(score: ScenarioScore, scenario: Scenario, result: RunResult, instance: str) -> None:
    expected = expected_symptom_urn(scenario.symptom, instance)
    got = result.symptom.urn if result.symptom else None
    score.symptom = Criterion(ok=got == expected, expected=str(scenario.symptom), got=_describe(result))


def _score_origins(score: ScenarioScore, scenario: Scenario, result: RunResult, instance: str) -> None:
    predicted = sorted({_table_in(rc.dataset_urn, instance) for rc in result.origins})
    expected = sorted(scenario.origins)
    tp = len(set(predicted) & set(expected))
    score.true_positives, score.predicted, score.expected = tp, len(predicted), len(expected)
    # An empty answer is vacuously precise; recall of an empty expectation is perfect.
    score.precision = tp / len(predicted) if predicted else 1.0
    score.recall = tp / len(expected) if expected else 1.0
    score.origins = Criterion(ok=predicted == expected, expected=expected, got=predicted)


def _score_elsewhere(score: ScenarioScore, scenario: Scenario, result: RunResult, instance: str) -> None:
    if not scenario.elsewhere:
        score.elsewhere = Criterion(ok=None)
        return
    reported = sorted({_table_in(d.dataset_urn, instance) for d in result.elsewhere})
    causes = {_table_in(rc.dataset_urn, instance) for rc in result.root_causes}
    ok = all(t in reported and t not in causes for t in scenario.elsewhere)
    score.elsewhere = Criterion(ok=ok, expected=sorted(scenario.elsewhere), got=reported)


def _score_writes(score: ScenarioScore, result: RunResult) -> None:
    incident_writes = [
        w for w in result.writes if w.aspect == INCIDENT_ASPECT and w.action in ("create", "update")
    ]
    score.incidents_written = len(incident_writes)
    score.writes_verified = all(w.verified for w in result.writes if w.action != "skipped")
    score.no_incident_ok = score.incidents_written == 0 if score.control else None


def _score_costs(
    score: ScenarioScore, result: RunResult, events: Sequence[Event], wall_ms: float | None
) -> None:
    calls = [e for e in events if e.kind == "tool_call"]
    score.catalog_calls = len(calls)
    score.catalog_queries = sum(_queries_in(e) for e in calls)
    score.model_calls = result.llm.calls
    score.model_roles = dict(result.llm.roles)
    server = result.llm.local_server
    if server and server.get("started") and server.get("load_ms"):
        score.model_server_load_ms = float(server["load_ms"])
    score.verdict_ms = _verdict_ms(result, events, wall_ms)


def _queries_in(event: Event) -> int:
    queries = event.data.get("queries")
    if isinstance(queries, list):
        return len(queries)
    return 1 if event.data.get("query") else 0


def _verdict_ms(result: RunResult, events: Sequence[Event], wall_ms: float | None) -> float | None:
    """Time from the start of the run to the verdict: the phases before the Fixer writes anything.

    Falls back to the whole run (its `total`, the span of its events, or the wall clock we measured)
    when the loop reports no phase timings.
    """
    phases = [result.timings_ms[p] for p in VERDICT_PHASES if p in result.timings_ms]
    if phases:
        return round(sum(phases), 2)
    if "total" in result.timings_ms:
        return result.timings_ms["total"]
    if events:
        return round((events[-1].ts - events[0].ts) * 1000, 2)
    return wall_ms


def _failures(score: ScenarioScore) -> list[str]:
    out: list[str] = []
    if not score.symptom.ok:
        out.append(f"symptom: expected {score.symptom.expected}, got {score.symptom.got}")
    if not score.origins.ok:
        out.append(f"origins: expected {_names(score.origins.expected)}, got {_names(score.origins.got)}")
    if not score.grounded.ok:
        out.append(f"grounding: {'; '.join(score.grounded.got or [])}")
    if score.elsewhere.ok is False:
        out.append(
            f"elsewhere: expected {_names(score.elsewhere.expected)} only as elsewhere, "
            f"reported elsewhere {_names(score.elsewhere.got)}"
        )
    if not score.verdict.ok:
        out.append(f"verdict: expected {score.verdict.expected}, got {score.verdict.got}")
    if score.no_incident_ok is False:
        out.append(f"control wrote {score.incidents_written} incident(s)")
    return out


def _table_in(urn: str, instance: str) -> str:
    """The table name of a production dataset; other instances keep their prefix so they never match."""
    return table_in(urn, instance) or _short(urn)


def _short(urn: str) -> str:
    try:
        return parse_urn(urn).name
    except InvalidUrnError:
        return urn


def _describe(result: RunResult) -> str | None:
    if result.symptom is None:
        return None
    return f"{result.symptom.type} {result.symptom.name!r} ({_short(result.symptom.urn)})"


def _names(value: str | list[str] | None) -> str:
    if not value:
        return "none"
    return ", ".join(value) if isinstance(value, list) else value
