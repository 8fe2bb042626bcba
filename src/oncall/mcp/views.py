"""What the MCP tools return: the same typed results as the CLI and the API, cut to a size a model reads.

A model's context is small and every token costs: each list is cut at a fixed length, with its full
count and a hint naming the tool that gives the rest. Nothing here is computed anew; a view only picks
from a `RunResult`, an `Incident` or a diff that the existing code produced.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal, TypeVar

from pydantic import BaseModel, Field

from oncall.catalog.types import Incident, SearchHit
from oncall.quality.models import DiffEntry
from oncall.report.models import BlastRadiusEntry, RootCause, RunResult, Verdict, Write
from oncall.report.postmortem import display_name

if TYPE_CHECKING:
    from oncall.agents.lifecycle.store import TrackedIncident

__all__ = [
    "BlastRadiusView",
    "DiffView",
    "Hop",
    "IncidentChange",
    "IncidentList",
    "LineagePath",
    "OriginView",
    "RunList",
    "RunView",
    "SymptomView",
    "WriteList",
    "cut",
    "incident_change",
    "run_view",
]

T = TypeVar("T")

MAX_ITEMS = 25
"""Longest list a tool returns; the rest is counted and pointed to."""
MAX_CHECKS = 10
"""Failing checks shown per origin."""
MAX_CANDIDATES = 3


def cut(items: Sequence[T], limit: int = MAX_ITEMS) -> tuple[list[T], int]:
    """The first `limit` items and the full count."""
    return list(items[:limit]), len(items)


def _hint(what: str, shown: int, total: int, then: str) -> list[str]:
    return [f"{what}: {shown} of {total} shown; {then}"] if total > shown else []


class Hop(BaseModel):
    """One entity on a lineage path."""

    urn: str
    name: str


class SymptomView(BaseModel):
    """The entity the incident is about, and the runners-up the Detective weighed."""

    urn: str
    type: str
    name: str
    reasons: list[str] = Field(default_factory=list)
    candidates: list[SearchHit] = Field(default_factory=list)
    """Up to 3 runners-up, best first."""


class OriginView(BaseModel):
    """A regressed dataset upstream of the symptom, with the path that connects them and its checks."""

    dataset_urn: str
    name: str
    origin: bool
    """True: no regressed ancestor explains it (fix this one). False: explained by an origin upstream."""
    lineage_path: list[Hop]
    """From the symptom (first) to this dataset (last); every hop is a lineage edge in the catalog."""
    via: str
    """'lineage', or 'foreign_key' when it entered through a failing FK check's referenced table."""
    confidence: float
    failing_checks: list[DiffEntry]
    """Assertions failing in production that passed in the baseline (observed values on both sides)."""
    failing_checks_total: int


class RunView(BaseModel):
    """An investigation: verdict, symptom, origins with paths, elsewhere, blast radius, writes."""

    run_id: str
    incident: str
    verdict: Verdict
    """root_cause_found, no_regression (nothing regressed upstream: no cause invented), no_symptom
    (nothing in the catalog matches the words), or failed."""
    summary: str
    baseline: Literal["twin", "history", "auto"]
    """How the baseline was picked: twin (the clean twin instance), history (each assertion's last
    passing run), auto (the twin where one exists, else the history); each entry says which it got."""
    dry_run: bool
    symptom: SymptomView | None = None
    origins: list[OriginView] = Field(default_factory=list)
    """Root causes with no regressed ancestor: where the breakage starts."""
    explained: list[OriginView] = Field(default_factory=list)
    """Regressed datasets in scope that an origin upstream explains (not separate causes)."""
    elsewhere: list[DiffEntry] = Field(default_factory=list)
    """Regressions outside the symptom's lineage: real, but never causes of this incident."""
    elsewhere_total: int = 0
    blast_radius: list[BlastRadiusEntry] = Field(default_factory=list)
    """Entities downstream of the origins (datasets, then charts, then dashboards), with owners."""
    blast_radius_total: int = 0
    writes: list[Write] = Field(default_factory=list)
    """What was written to DataHub (none in a dry run), each read back (`verified`)."""
    writes_total: int = 0
    degraded: list[str] = Field(default_factory=list)
    """Steps that fell back to the deterministic procedure, and why."""
    duration_ms: float | None = None
    hints: list[str] = Field(default_factory=list)
    """What was cut and which tool gives the rest; what to call next."""


def _hops(path: Sequence[str], names: dict[str, str]) -> list[Hop]:
    return [Hop(urn=u, name=display_name(u, names)) for u in path]


def _cause(rc: RootCause, names: dict[str, str]) -> OriginView:
    checks, total = cut(rc.assertions, MAX_CHECKS)
    return OriginView(
        dataset_urn=rc.dataset_urn,
        name=display_name(rc.dataset_urn, names),
        origin=rc.origin,
        lineage_path=_hops(rc.lineage_path, names),
        via=rc.via,
        confidence=rc.confidence,
        failing_checks=checks,
        failing_checks_total=total,
    )


def run_view(result: RunResult) -> RunView:
    """The bounded view of a finished run."""
    names = result.names
    elsewhere, elsewhere_total = cut(result.elsewhere)
    blast, blast_total = cut(result.blast_radius)
    writes, writes_total = cut(result.writes)
    symptom = None
    if result.symptom is not None:
        s = result.symptom
        symptom = SymptomView(
            urn=s.urn, type=s.type, name=s.name, reasons=s.reasons, candidates=s.candidates[:MAX_CANDIDATES]
        )
    hints = [
        *_hint("elsewhere", len(elsewhere), elsewhere_total, "call diff_assertions(urn) on a dataset"),
        *_hint(
            "blast_radius", len(blast), blast_total, "call get_blast_radius(urn) on one origin for its share"
        ),
    ]
    for rc in result.root_causes:
        hints += _hint(
            f"failing checks of {display_name(rc.dataset_urn, names)}",
            min(len(rc.assertions), MAX_CHECKS),
            len(rc.assertions),
            f"call diff_assertions('{rc.dataset_urn}') for all",
        )
    hints.append(f"the full report: get_postmortem('{result.run_id}') (Markdown)")
    return RunView(
        run_id=result.run_id,
        incident=result.incident,
        verdict=result.verdict,
        summary=result.summary,
        baseline=result.baseline_mode,
        dry_run=result.dry_run,
        symptom=symptom,
        origins=[_cause(rc, names) for rc in result.root_causes if rc.origin],
        explained=[_cause(rc, names) for rc in result.root_causes if not rc.origin],
        elsewhere=elsewhere,
        elsewhere_total=elsewhere_total,
        blast_radius=blast,
        blast_radius_total=blast_total,
        writes=writes,
        writes_total=writes_total,
        degraded=result.degraded,
        duration_ms=result.timings_ms.get("total"),
        hints=hints,
    )


class RunRow(BaseModel):
    """One run of the history (CLI, console and MCP runs alike)."""

    run_id: str
    incident: str
    status: str
    """running, finished or failed."""
    verdict: str | None = None
    summary: str = ""
    dry_run: bool = False
    started_at: float = 0.0
    """Unix time in seconds."""
    origins: list[str] = Field(default_factory=list)


class RunList(BaseModel):
    """Runs, newest first."""

    runs: list[RunRow]
    total: int
    hints: list[str] = Field(default_factory=list)


class DiffView(BaseModel):
    """The assertion diff of one dataset (its production twin), regressions first."""

    dataset_urn: str
    """The production dataset whose assertions were compared."""
    baseline: Literal["twin", "history", "auto"]
    """The mode asked for; each entry's `baseline_kind` says what it was compared with."""
    entries: list[DiffEntry]
    total: int
    counts: dict[str, int]
    """Entries per status: regression, pre-existing, recovered, unchanged."""
    hints: list[str] = Field(default_factory=list)


class BlastRadiusView(BaseModel):
    """Everything downstream of an entity, with owners."""

    urn: str
    entries: list[BlastRadiusEntry]
    total: int
    counts: dict[str, int]
    """Entities per type: dataset, chart, dashboard."""
    hints: list[str] = Field(default_factory=list)


class LineagePath(BaseModel):
    """The shortest lineage path between two entities."""

    from_urn: str
    to_urn: str
    direction: Literal["upstream", "downstream"]
    """upstream: `to_urn` feeds `from_urn`; downstream: `from_urn` feeds `to_urn`."""
    hops: int
    path: list[Hop]
    """From `from_urn` (first) to `to_urn` (last)."""


class IncidentList(BaseModel):
    """DataHub incidents, newest first."""

    incidents: list[Incident]
    total: int
    hints: list[str] = Field(default_factory=list)


class WriteList(BaseModel):
    """Writes made to DataHub, each read back."""

    writes: list[Write]
    total: int
    all_verified: bool


class IncidentChange(BaseModel):
    """An incident after a person acknowledged or resolved it: what DataHub now holds, read back."""

    urn: str
    title: str
    state: Literal["ACTIVE", "RESOLVED"]
    stage: str | None
    priority: int
    """0 CRITICAL .. 3 LOW."""
    origin: Hop
    opened_by: Literal["watcher", "run"]
    """Who raised it: the watcher (a failing assertion run) or a run (investigate_incident, oncall run)."""
    message: str
    """The status message written with this change."""
    actor: str
    assignees: list[str]
    failing_checks: list[str]
    """'check on dataset' for each assertion that still fails (what must pass for it to close itself)."""
    checks_total: int
    watcher_resolves_it: bool
    """True while the watcher will resolve it by itself when its checks pass (not after a person's
    resolve, which is final)."""
    hints: list[str] = Field(default_factory=list)


def incident_change(incident: TrackedIncident) -> IncidentChange:
    """The bounded view of a changed incident."""
    names = incident.names
    last = incident.timeline[-1]
    failing = [f"{a.native_type} on {display_name(a.dataset_urn, names)}" for a in incident.failing()]
    shown, total = cut(failing, MAX_CHECKS)
    hints = _hint("failing checks", len(shown), total, "get_incident(urn) has the description")
    return IncidentChange(
        urn=incident.urn,
        title=incident.title,
        state=incident.state,
        stage=incident.stage,
        priority=incident.priority,
        origin=Hop(urn=incident.origin, name=incident.origin_name or display_name(incident.origin, names)),
        opened_by=incident.opened_by,
        message=last.message,
        actor=last.actor,
        assignees=incident.assignees,
        failing_checks=shown,
        checks_total=len(incident.assertions),
        watcher_resolves_it=incident.state == "ACTIVE" and incident.hands_off is None,
        hints=hints,
    )
