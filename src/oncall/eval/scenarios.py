"""Eval scenarios: a planted fault, an incident in plain words, and the answer we expect.

A scenario file is YAML with a `scenarios:` list and, optionally, `fault_specs:` (named inline fault
lists the scenarios of that file share)::

    fault_specs:
      payments_bad_type:
        - {table: olist_order_payments, kind: set_value, column: payment_type, value: pix, fraction: 0.05}
    scenarios:
      - name: payment-mix-chart
        faults: payments_bad_type      # a fault_specs entry, a built-in spec name ("kit"), or a list
        incident: payment totals look off
        symptom: {type: chart, name: Payment mix}
        origins: [olist_order_payments]
        elsewhere: []                  # regressed tables that must be reported only as "elsewhere"
      - name: clean-revenue
        control: true                  # no fault at all: the verdict must be no_regression
        incident: revenue dashboard wrong
        symptom: {type: dashboard, name: Revenue}

Scenarios that share the same faults share one built and set-up world (`World.key`). Everything is
checked at load time against the world's schema and BI layer, so a typo fails before any world is built.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from importlib import resources
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from oncall.errors import FaultSpecError, ScenarioError
from oncall.world.bi import CHARTS, DASHBOARDS
from oncall.world.faults import KINDS, builtin_specs, parse_spec
from oncall.world.schema import TABLES, VIEWS

__all__ = [
    "FAULT_KINDS",
    "ExpectedSymptom",
    "LoadedScenario",
    "Scenario",
    "SymptomType",
    "World",
    "builtin_scenarios_dir",
    "load_scenarios",
    "select",
]

FAULT_KINDS: tuple[str, ...] = tuple(KINDS)
"""The fault kinds of DESIGN.md section 6."""

SymptomType = Literal["dashboard", "chart", "view", "table"]
Verdict = Literal["root_cause_found", "no_regression", "no_symptom", "failed"]

_COLUMNS = {t.name: t.columns for t in TABLES}
_DATASETS = {t.name for t in TABLES} | {v.name for v in VIEWS}
_VIEWS = {v.name for v in VIEWS}
_TITLES: dict[str, dict[str, str]] = {
    "dashboard": {d.title.lower(): d.title for d in DASHBOARDS},
    "chart": {c.title.lower(): c.title for c in CHARTS},
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ExpectedSymptom(_Strict):
    """The entity the incident text must resolve to."""

    type: SymptomType
    """dashboard or chart (BI layer, by title), view or table (dataset, by name)."""
    name: str

    @model_validator(mode="after")
    def _known(self) -> ExpectedSymptom:
        if self.type in _TITLES:
            if self.name.lower() not in _TITLES[self.type]:
                known = ", ".join(sorted(_TITLES[self.type].values()))
                raise ValueError(f"no {self.type} titled {self.name!r}; known: {known}")
        elif self.type == "view" and self.name not in _VIEWS:
            raise ValueError(f"no view named {self.name!r}; known: {', '.join(sorted(_VIEWS))}")
        elif self.type == "table" and self.name not in _COLUMNS:
            raise ValueError(f"no table named {self.name!r}; known: {', '.join(sorted(_COLUMNS))}")
        return self

    @property
    def title(self) -> str:
        """The canonical spelling of the name (titles are matched case-insensitively)."""
        return _TITLES[self.type][self.name.lower()] if self.type in _TITLES else self.name

    @property
    def entity_type(self) -> str:
        """The catalog entity type: views and tables are datasets."""
        return "dataset" if self.type in ("view", "table") else self.type

    def __str__(self) -> str:
        return f"{self.type} {self.title!r}"


class Scenario(_Strict):
    """One planted-fault case and its expected answer."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    incident: str = Field(min_length=1)
    """What the on-call engineer types."""
    symptom: ExpectedSymptom
    faults: str | list[dict[str, Any]] | None = None
    """A fault_specs entry of the file, a built-in spec name, or an inline list of faults."""
    origins: list[str] = Field(default_factory=list)
    """Tables that must be named as origins, and nothing else."""
    elsewhere: list[str] = Field(default_factory=list)
    """Regressed tables that must appear as "elsewhere" and never as a cause."""
    verdict: Verdict | None = None
    """Expected verdict; default: root_cause_found with origins, no_regression without."""
    control: bool = False
    """No fault at all: the verdict must be no_regression and no incident may be written."""
    description: str = ""

    @field_validator("origins", "elsewhere")
    @classmethod
    def _datasets(cls, names: list[str]) -> list[str]:
        unknown = [n for n in names if n not in _DATASETS]
        if unknown:
            raise ValueError(
                f"unknown dataset(s) {', '.join(unknown)}; known: {', '.join(sorted(_DATASETS))}"
            )
        if len(set(names)) != len(names):
            raise ValueError("a dataset is listed twice")
        return names

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        both = sorted(set(self.origins) & set(self.elsewhere))
        if both:
            raise ValueError(f"{', '.join(both)} cannot be both an origin and elsewhere")
        if self.control:
            if self.faults:
                raise ValueError("a control scenario has no faults; drop `faults` or `control: true`")
            if self.origins or self.elsewhere:
                raise ValueError("a control scenario expects no origins and nothing elsewhere")
        elif not self.faults:
            raise ValueError("no faults given; a no-fault scenario must say `control: true`")
        return self

    @property
    def expected_verdict(self) -> str:
        """The verdict the run must reach."""
        if self.verdict:
            return self.verdict
        return "root_cause_found" if self.origins else "no_regression"


@dataclass(frozen=True)
class World:
    """The faults a world is built with; scenarios with equal keys share one world."""

    label: str
    """Human name: the spec name or the fault_specs entry."""
    builtin: str | None = None
    """A spec name the world package ships (e.g. 'kit')."""
    faults: tuple[dict[str, Any], ...] = ()
    """Inline faults (empty and no builtin = a clean control world)."""

    @property
    def key(self) -> str:
        """Identity of the world: the built-in name, or a digest of the inline faults."""
        if self.builtin:
            return f"builtin:{self.builtin}"
        if not self.faults:
            return "clean"
        # Descriptions do not change the data: equal faults worded differently share a world.
        bare = [{k: v for k, v in f.items() if k != "description"} for f in self.faults]
        digest = hashlib.sha256(json.dumps(bare, sort_keys=True).encode()).hexdigest()[:10]
        return f"inline:{digest}"

    @property
    def is_clean(self) -> bool:
        """True for the no-fault control world."""
        return not self.builtin and not self.faults

    def spec_document(self) -> dict[str, Any]:
        """The fault spec YAML document (DESIGN.md section 6) for inline worlds."""
        return {"name": self.label, "faults": [dict(f) for f in self.faults]}


@dataclass(frozen=True)
class LoadedScenario:
    """A validated scenario with its resolved world and where it came from."""

    scenario: Scenario
    world: World
    source: Path

    @property
    def name(self) -> str:
        """The scenario's unique name."""
        return self.scenario.name


def builtin_scenarios_dir() -> Path:
    """The scenarios shipped in the package."""
    return Path(str(resources.files("oncall.eval") / "scenarios"))


def load_scenarios(path: Path | None = None) -> list[LoadedScenario]:
    """Load and validate every scenario in a YAML file or a directory of them (default: shipped set).

    Raises `ScenarioError` naming the file, the scenario and the field on any problem; names must be
    unique across all files.
    """
    path = path or builtin_scenarios_dir()
    if path.is_dir():
        files = sorted([*path.glob("*.yaml"), *path.glob("*.yml")])
        if not files:
            raise ScenarioError(f"{path}: no *.yaml scenario files in this folder")
    elif path.is_file():
        files = [path]
    else:
        raise ScenarioError(f"{path}: no such scenario file or folder")
    loaded: list[LoadedScenario] = []
    seen: dict[str, Path] = {}
    for file in files:
        for item in _load_file(file):
            if item.name in seen:
                raise ScenarioError(
                    f"{file}: scenario name {item.name!r} is already used in {seen[item.name]}"
                )
            seen[item.name] = file
            loaded.append(item)
    return loaded


class _Named(Protocol):
    @property
    def name(self) -> str: ...


_S = TypeVar("_S", bound=_Named)


def select(scenarios: Sequence[_S], patterns: Iterable[str]) -> list[_S]:
    """The scenarios whose names match any of the patterns (shell-style, e.g. 'kit-*').

    A pattern that matches nothing is an error, so a typo never silently runs zero scenarios.
    """
    patterns = [p for raw in patterns for p in raw.split(",") if p.strip()]
    if not patterns:
        return list(scenarios)
    for pattern in patterns:
        if not any(fnmatchcase(s.name, pattern.strip()) for s in scenarios):
            known = ", ".join(s.name for s in scenarios)
            raise ScenarioError(f"--only {pattern!r} matches no scenario; known: {known}")
    return [s for s in scenarios if any(fnmatchcase(s.name, p.strip()) for p in patterns)]


def _load_file(file: Path) -> list[LoadedScenario]:
    try:
        doc = yaml.safe_load(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{file}: not valid YAML ({exc})") from exc
    except OSError as exc:
        raise ScenarioError(f"{file}: cannot read ({exc.strerror})") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("scenarios"), list):
        raise ScenarioError(f"{file}: expected a mapping with a `scenarios:` list at the top level")
    unknown = sorted(set(doc) - {"scenarios", "fault_specs"})
    if unknown:
        raise ScenarioError(
            f"{file}: unknown top-level key(s) {', '.join(unknown)}; known: fault_specs, scenarios"
        )
    specs = _named_specs(file, doc.get("fault_specs") or {})
    return [_scenario(file, i, raw, specs) for i, raw in enumerate(doc["scenarios"])]


def _named_specs(file: Path, raw: object) -> dict[str, tuple[dict[str, Any], ...]]:
    if not isinstance(raw, dict):
        raise ScenarioError(f"{file}: fault_specs must map a name to a list of faults")
    specs: dict[str, tuple[dict[str, Any], ...]] = {}
    for name, faults in raw.items():
        where = f"{file}: fault_specs.{name}"
        if not isinstance(faults, list) or not faults:
            raise ScenarioError(f"{where}: expected a non-empty list of faults")
        specs[str(name)] = _checked_faults(str(name), faults, where)
    return specs


def _scenario(
    file: Path, index: int, raw: object, specs: dict[str, tuple[dict[str, Any], ...]]
) -> LoadedScenario:
    label = raw.get("name", f"#{index + 1}") if isinstance(raw, dict) else f"#{index + 1}"
    where = f"{file}: scenario {label}"
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError(f"{where}: {_first_problem(exc)}") from exc
    return LoadedScenario(scenario, _world(scenario, specs, where), file)


def _world(scenario: Scenario, specs: dict[str, tuple[dict[str, Any], ...]], where: str) -> World:
    faults = scenario.faults
    if not faults:
        return World("clean")
    if isinstance(faults, list):
        return World(scenario.name, faults=_checked_faults(scenario.name, faults, where))
    if faults in specs:
        return World(faults, faults=specs[faults])
    if faults not in builtin_specs():
        known = ", ".join([*specs, *builtin_specs()])
        raise ScenarioError(
            f"{where}: faults: no fault spec named {faults!r} in this file or built in; known: {known}"
        )
    return World(faults, builtin=faults)


def _checked_faults(name: str, faults: list[Any], where: str) -> tuple[dict[str, Any], ...]:
    """Validate inline faults exactly as the world will (kind, table, column, parameters)."""
    try:
        parse_spec({"name": name, "faults": faults}, source=where)
    except FaultSpecError as exc:
        raise ScenarioError(str(exc)) from exc
    return tuple(dict(f) for f in faults)


def _first_problem(exc: ValidationError) -> str:
    error = exc.errors()[0]
    field = ".".join(str(p) for p in error["loc"]) or "scenario"
    message = error["msg"].removeprefix("Value error, ")
    return f"{field}: {message}"
