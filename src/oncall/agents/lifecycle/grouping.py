"""Grouping and routing, as pure functions: which origin's incident a failure joins, who owns it, how
urgent it is.

A failing assertion on dataset D starts the loop with D as the symptom. Each origin the loop names
(a regressed dataset upstream of D, or D itself, with no regressed ancestor) gets the failure; every
failure that shares an origin joins that origin's one incident. A failure the loop explains with no
upstream regression (the check fails in the baseline too, or no baseline has it) is its own origin.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from oncall.catalog.run_events import RunEvent
from oncall.report.models import RunResult

__all__ = ["Failure", "OriginGroup", "group_failures", "merge_groups", "priority"]


@dataclass(frozen=True)
class Failure:
    """One failing assertion as evidence for an origin."""

    assertion_urn: str
    dataset_urn: str
    native_type: str
    timestamp_ms: int
    run_id: str


@dataclass
class OriginGroup:
    """Everything one batch learned about one origin."""

    origin: str
    failures: list[Failure] = field(default_factory=list)
    affected: list[str] = field(default_factory=list)
    """Downstream entities of the origin (its blast radius), datasets first."""
    dashboards: list[str] = field(default_factory=list)
    paths: list[list[str]] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)
    run_ids: list[str] = field(default_factory=list)
    note: str = ""
    """Why the group is its own origin, when it is (no upstream regression, or the loop failed)."""

    def add(self, failures: Iterable[Failure]) -> None:
        have = {f.assertion_urn for f in self.failures}
        for f in failures:
            if f.assertion_urn not in have:
                self.failures.append(f)
                have.add(f.assertion_urn)
        self.failures.sort(key=lambda f: (f.timestamp_ms, f.assertion_urn))


def _failure(event: RunEvent, native_types: dict[str, str]) -> Failure:
    return Failure(
        assertion_urn=event.assertion_urn,
        dataset_urn=event.dataset_urn,
        native_type=native_types.get(event.assertion_urn) or event.assertion_urn.rsplit(":", 1)[-1],
        timestamp_ms=event.timestamp_ms,
        run_id=event.run_id,
    )


def group_failures(
    symptom: str,
    events: Sequence[RunEvent],
    result: RunResult | None,
    *,
    downstream: Sequence[tuple[str, str]] = (),
    note: str = "",
) -> list[OriginGroup]:
    """The origin groups of the failing `events` on `symptom`, from the loop's `result`.

    Each origin also lists its own failing (regressed) checks, so the incident resolves only when
    those pass too. With no origin (or no result), `symptom` is the origin, reaching `downstream`
    ((urn, type) pairs).
    """
    native = {e.assertion_urn: e.native_type for e in (result.diff if result else [])}
    evidence = [_failure(e, native) for e in events]
    origins = result.origins if result else []
    if not origins:
        group = OriginGroup(origin=symptom, note=note or "no upstream regression: its own origin")
        group.add(evidence)
        group.affected = [u for u, _ in downstream]
        group.dashboards = [u for u, t in downstream if t == "dashboard"]
        group.paths = [[symptom]]
        if result:
            group.names, group.run_ids = dict(result.names), [result.run_id]
        return [group]
    groups = []
    for rc in origins:
        group = OriginGroup(origin=rc.dataset_urn)
        own = [
            Failure(
                assertion_urn=d.assertion_urn,
                dataset_urn=d.dataset_urn,
                native_type=d.native_type,
                timestamp_ms=d.production.timestamp_ms or 0,
                run_id="",
            )
            for d in rc.assertions
            if d.production.result == "FAILURE"
        ]
        group.add([*evidence, *own])
        reached = [b for b in result.blast_radius if rc.dataset_urn in b.origins] if result else []
        group.affected = [b.urn for b in reached]
        group.dashboards = [b.urn for b in reached if b.type == "dashboard"]
        group.paths = [list(rc.lineage_path)]
        group.names = dict(result.names) if result else {}
        group.run_ids = [result.run_id] if result else []
        groups.append(group)
    return groups


def merge_groups(groups: Iterable[OriginGroup]) -> dict[str, OriginGroup]:
    """One group per origin: failures, affected entities, paths and runs united."""
    merged: dict[str, OriginGroup] = {}
    for g in groups:
        into = merged.get(g.origin)
        if into is None:
            merged[g.origin] = g
            continue
        into.add(g.failures)
        into.affected = list(dict.fromkeys([*into.affected, *g.affected]))
        into.dashboards = list(dict.fromkeys([*into.dashboards, *g.dashboards]))
        into.paths += [p for p in g.paths if p not in into.paths]
        into.names.update(g.names)
        into.run_ids = list(dict.fromkeys([*into.run_ids, *g.run_ids]))
    return merged


def priority(affected: int, dashboards: int) -> int:
    """DataHub's priority int (0 CRITICAL .. 3 LOW) from the blast radius and the dashboards reached.

    Dashboards are what people look at: two or more make it CRITICAL, one at least HIGH; otherwise 10+
    downstream entities CRITICAL, 5+ HIGH, 1+ MEDIUM, none LOW.
    """
    if dashboards >= 2 or affected >= 10:
        return 0
    if dashboards == 1 or affected >= 5:
        return 1
    return 2 if affected >= 1 else 3
