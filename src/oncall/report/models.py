"""The run result (DESIGN.md section 7): the typed outcome of one incident run.

`oncall run --json`, `GET /api/runs/{id}`, the eval scorer and the postmortem renderer all read this.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from oncall.catalog.types import SearchHit
from oncall.quality.models import BaselineKind, BaselineMode, DiffEntry, DiffSide

__all__ = [
    "BlastRadiusEntry",
    "DiffEntry",
    "DiffSide",
    "LLMUsage",
    "RoleUsage",
    "RootCause",
    "RunResult",
    "Symptom",
    "Verdict",
    "Write",
]

Verdict = Literal["root_cause_found", "no_regression", "no_symptom", "failed", "interrupted"]


class Symptom(BaseModel):
    """The entity the incident text is about."""

    urn: str
    type: str
    name: str
    candidates: list[SearchHit] = Field(default_factory=list)
    """Runners-up, best first."""
    reasons: list[str] = Field(default_factory=list)
    decided_by: Literal["model", "procedure"] = "procedure"


class RootCause(BaseModel):
    """A regressed dataset in the symptom's upstream closure, with its evidence."""

    dataset_urn: str
    origin: bool
    """True if no regressed ancestor explains it."""
    assertions: list[DiffEntry] = Field(default_factory=list)
    lineage_path: list[str] = Field(default_factory=list)
    """URNs from the symptom (first) to this dataset (last)."""
    confidence: float = 0.0
    via: Literal["lineage", "foreign_key"] = "lineage"
    """How it entered the closure: upstream lineage, or the referenced table of a failing FK check."""
    baseline_kind: BaselineKind = "twin"
    """What its regressions were shown against: a clean twin (at least one check), or only the checks'
    own history (less sure, and the confidence says so)."""


class BlastRadiusEntry(BaseModel):
    """An entity downstream of an origin."""

    urn: str
    type: str
    name: str = ""
    owners: list[str] = Field(default_factory=list)
    origins: list[str] = Field(default_factory=list)
    """Which origins reach it."""


class Write(BaseModel):
    """One write the Fixer made (or would make, in a dry run)."""

    urn: str
    aspect: str
    action: Literal["create", "update", "unchanged", "skipped", "resolve", "remove", "failed"]
    verified: bool = False
    detail: str = ""


class RoleUsage(BaseModel):
    """How one role's model did over the run: what became of its answers, how long, how many tokens."""

    model: str = ""
    calls: int = 0
    """Model calls (one per step the role asked; tool turns and retries inside one call count once)."""
    used: int = 0
    """Calls whose answer passed verification and was used."""
    rejected: int = 0
    """Calls with at least one answer sent back by verification (the call may still have recovered)."""
    replaced: int = 0
    """Calls that failed, so the deterministic procedure produced the step's result."""
    rejections: dict[str, int] = Field(default_factory=dict)
    """Verification's reasons (URNs masked) -> how often."""
    failures: dict[str, int] = Field(default_factory=dict)
    """Why calls failed (timeout, rejected, invalid, http, unreachable, limit, other) -> how often."""
    latency_ms: list[float] = Field(default_factory=list)
    """Wall time of each call."""
    tokens_in: int = 0
    tokens_out: int = 0


class LLMUsage(BaseModel):
    """Model usage over the run."""

    preset: str = "offline"
    calls: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    models: dict[str, str] = Field(default_factory=dict)
    """role -> model name ('' when the role has no model)."""
    sequential_calls: int = 0
    """Model round trips on the run's critical path (calls that overlapped count once)."""
    critical_path_ms: float = 0.0
    """Time spent waiting on models along the run's critical path (the run's wall time minus this is
    the agents' own overhead)."""
    roles: dict[str, RoleUsage] = Field(default_factory=dict)
    """Per role with a model: what became of its answers (used, rejected, replaced), latency, tokens."""
    local_server: dict[str, Any] | None = None
    """The `local` preset's llama.cpp server: base_url, model, model_path, load_ms, started (False when
    an already running server was reused)."""


class RunResult(BaseModel):
    """Everything a run found and did."""

    run_id: str
    incident: str
    verdict: Verdict = "failed"
    summary: str = ""
    symptom: Symptom | None = None
    scope: list[str] = Field(default_factory=list)
    """Upstream closure of the symptom (URNs), the symptom first."""
    diff: list[DiffEntry] = Field(default_factory=list)
    """Every assertion the verdict used: all production datasets (the Reality-Checker runs beside the
    Detective, before the scope is known) plus the symptom and its upstream datasets outside them;
    `scope` tells which datasets are upstream of the symptom."""
    root_causes: list[RootCause] = Field(default_factory=list)
    elsewhere: list[DiffEntry] = Field(default_factory=list)
    """Regressions outside the symptom's closure: also failing, never causes."""
    blast_radius: list[BlastRadiusEntry] = Field(default_factory=list)
    writes: list[Write] = Field(default_factory=list)
    postmortem_markdown: str = ""
    slack_message: str = ""
    quarantine_snippet: str = ""
    llm: LLMUsage = Field(default_factory=LLMUsage)
    degraded: list[str] = Field(default_factory=list)
    """What fell back to the deterministic procedure, and why."""
    timings_ms: dict[str, float] = Field(default_factory=dict)
    dry_run: bool = False
    started_at: float = 0.0
    names: dict[str, str] = Field(default_factory=dict)
    """URN -> display name for every entity the run mentions (for renderers)."""
    plan: list[str] = Field(default_factory=list)
    """The Coordinator's plan, step by step."""
    narrative: str = ""
    """The Reality-Checker's account of the diff."""
    decided_by: dict[str, Literal["model", "procedure"]] = Field(default_factory=dict)
    """Step (plan, symptom, narrative, drafts, synthesis) -> who produced it."""
    baseline_mode: BaselineMode = "auto"
    """How the baseline was picked (`--baseline`); each diff entry says which one it got."""
    history: bool = False
    """True when every assertion was compared with its own last passing run (mode `history`, or no
    baseline instance configured)."""

    @property
    def origins(self) -> list[RootCause]:
        """Root causes that are origins."""
        return [rc for rc in self.root_causes if rc.origin]
