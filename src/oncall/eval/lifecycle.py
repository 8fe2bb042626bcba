"""Lifecycle scenarios: the shipped fault-spec worlds seen by `oncall watch` instead of a person.

Per world (built and set up once, as for the scenario bench): the watcher's first pass opens incidents
from the failing runs; they are scored against the planted origins. Then production gets its clean data
back and a passing run (every incident must resolve itself), then the faults and a failing run again
(each must re-open within the relapse window, not duplicate); then a second repair, and the faults
once more after the window (each origin must open its next incident, the resolved one left closed).
The clean control world must open nothing.

A planted origin is a dataset the world's scenarios expect to regress (their `origins` and `elsewhere`)
*and* that the world's fault spec changed. A dataset that regresses only because another's fault
reaches it (the kit's orders, whose foreign-key check fails because customers were deleted) is not:
its failure belongs on that origin's incident, which is what the scenarios say of it too.

- grouping precision: incidents whose origin is a planted origin / incidents;
- grouping recall: planted origins with an incident / planted origins;
- duplicates: origins with more than one open incident;
- auto-resolve: incidents resolved by the passing run / incidents;
- relapse: incidents re-opened (same URN) by the failing run / incidents resolved;
- late relapse: next incidents opened (new URN, none re-opened) after the window / incidents resolved.
"""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from oncall.agents.lifecycle import Watcher, list_incidents
from oncall.catalog import open_catalog
from oncall.catalog.lite import LiteCatalog
from oncall.config import Config
from oncall.eval.reports import WorldRun
from oncall.eval.runner import _PRODUCTION, EvalOptions, _config, _group, _prepare
from oncall.eval.scenarios import LoadedScenario
from oncall.quality.publish import publish_suites
from oncall.world.build import BASELINE, PRODUCTION, load_summary
from oncall.world.demo_suites import DEMO_SUITES, resolve_suites
from oncall.world.schema import warehouse_schema
from oncall.world.urns import dataset_urn

__all__ = ["LifecycleReport", "LifecycleWorld", "run_lifecycle_eval"]

Progress = Callable[[str], None]


class LifecycleWorld(BaseModel):
    """One world's lifecycle outcome."""

    world: str
    expected: list[str] = Field(default_factory=list)
    opened: list[str] = Field(default_factory=list)
    """Origins of the incidents the first pass opened."""
    duplicates: int = 0
    resolved: int = 0
    reopened: int = 0
    resolved_again: int = 0
    next_opened: int = 0
    """Incidents the faults opened after the relapse window: a new URN per origin."""
    late_reopened: int = 0
    """Resolved incidents the late faults re-opened (must be 0)."""
    error: str | None = None


class LifecycleReport(BaseModel):
    """Totals over the worlds."""

    worlds: list[LifecycleWorld] = Field(default_factory=list)
    precision: float | None = None
    recall: float | None = None
    duplicates: int = 0
    auto_resolve: float | None = None
    relapse: float | None = None
    late_relapse: float | None = None
    controls_quiet: bool = True


def _once(config: Config) -> Any:
    watcher = Watcher(config, lambda: open_catalog(config))
    try:
        return asyncio.run(watcher.run(once=True))
    finally:
        watcher.close()


def _publish(config: Config) -> None:
    """A new run of the suites, as `oncall setup` ran them (the world's declared keys included: without
    them the unique-key checks would not run again, and their incidents could never resolve)."""
    with LiteCatalog(config.lite_path) as catalog:
        publish_suites(config, catalog, suites=resolve_suites(DEMO_SUITES), schema=warehouse_schema())


def _world(
    home: Path, scenarios: Sequence[LoadedScenario], options: EvalOptions, label: str
) -> LifecycleWorld:
    config = _config(home, options)
    out = LifecycleWorld(world=label, expected=_planted(home, scenarios))
    _once(config)
    first = list_incidents(config)
    out.opened = sorted(i.origin for i in first)
    out.duplicates = len(out.opened) - len(set(out.opened))
    if not first:
        return out
    broken = home / "broken.db"
    shutil.copy(config.instance_db(PRODUCTION), broken)

    def repair() -> None:
        shutil.copy(config.instance_db(BASELINE), config.instance_db(PRODUCTION))
        _publish(config)

    def rebreak() -> None:
        shutil.copy(broken, config.instance_db(PRODUCTION))
        _publish(config)

    repair()
    out.resolved = len(_once(config).resolved)
    rebreak()
    out.reopened = len(_once(config).reopened)
    repair()
    out.resolved_again = len(_once(config).resolved)
    rebreak()
    late = _once(dataclasses.replace(config, relapse_window_s=0.0))
    out.next_opened, out.late_reopened = len(late.opened), len(late.reopened)
    return out


def _planted(home: Path, scenarios: Sequence[LoadedScenario]) -> list[str]:
    """The datasets the scenarios expect to regress that the world's faults changed (module docstring)."""
    summary = load_summary(home)
    faulted = {f.table for f in summary.faults if f.rows_touched > 0} if summary else set()
    named = {t for s in scenarios for t in [*s.scenario.origins, *s.scenario.elsewhere]}
    return sorted(dataset_urn(_PRODUCTION, t) for t in named & faulted)


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 3) if den else None


def run_lifecycle_eval(
    scenarios: Sequence[LoadedScenario], options: EvalOptions, *, progress: Progress | None = None
) -> LifecycleReport:
    """Build each world once and run the watcher through failure, repair and relapse on it."""
    say = progress or (lambda _m: None)
    report = LifecycleReport()
    with tempfile.TemporaryDirectory(prefix="oncall-eval-lifecycle-") as tmp:
        root = Path(tmp)
        for world, items in _group(scenarios):
            say(f"lifecycle world {world.label}")
            run = WorldRun(key=world.key, label=world.label, faults=[])
            home = _prepare(world, root, options, run, say)
            if home is None:
                report.worlds.append(LifecycleWorld(world=world.label, error=run.error))
                continue
            try:
                result = _world(home, items, options, world.label)
            except Exception as exc:  # a harness: one broken world must not stop the others
                result = LifecycleWorld(world=world.label, error=f"{type(exc).__name__}: {exc}")
            if world.is_clean:
                report.controls_quiet = report.controls_quiet and not result.opened
            report.worlds.append(result)
    faulty = [w for w in report.worlds if w.expected and w.error is None]
    hits = sum(len(set(w.opened) & set(w.expected)) for w in faulty)
    report.precision = _ratio(hits, sum(len(w.opened) for w in faulty))
    report.recall = _ratio(
        sum(len(set(w.opened) & set(w.expected)) for w in faulty), sum(len(w.expected) for w in faulty)
    )
    report.duplicates = sum(w.duplicates for w in report.worlds)
    report.auto_resolve = _ratio(sum(w.resolved for w in faulty), sum(len(w.opened) for w in faulty))
    report.relapse = _ratio(sum(w.reopened for w in faulty), sum(w.resolved for w in faulty))
    late = sum(w.next_opened for w in faulty) - sum(w.late_reopened for w in faulty)
    report.late_relapse = _ratio(max(late, 0), sum(w.resolved_again for w in faulty))
    return report
