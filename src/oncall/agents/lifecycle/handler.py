"""The lifecycle handler: a batch of assertion run events in, incidents opened, grouped, resolved out.

The one function both doors call: the watcher (`oncall watch`, reading the catalog's run-event feed)
and the DataHub Actions action (events pushed by DataHub). Per batch:

1. **Dedupe**: per assertion only its newest event counts, and only if it is newer than the newest the
   store has seen (a duplicate or an older, out-of-order event changes nothing).
2. **Failures**: a FAILURE whose assertion is already on an open incident only refreshes it;
   otherwise the loop runs with the failing dataset as the symptom (dry run: the lifecycle writes),
   and the failure joins the incident of each origin it names (`grouping`).
3. **Incidents**: an origin's open incident gains the new failures; else a relapse within the window
   re-opens the incident the watcher resolved; else the next one opens (TRIAGE, assignees = the
   origin's owners, priority from its blast radius). A person's edit makes it theirs: never written.
4. **Recoveries**: an incident whose every assertion passes again (or was deleted) resolves itself,
   naming the passing runs.
5. **Commit**: cursor, run states, incidents and their Slack messages in one store transaction.

Every read of a pass that writes nothing (dedupe, grouping, the loops, owners) goes through one catalog
snapshot (`oncall.catalog.snapshot`): the loops of independent clusters ask the same questions (the
Reality-Checker diffs every production dataset each time), and the snapshot answers each once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from oncall.agents import writeback
from oncall.agents.lifecycle import changes
from oncall.agents.lifecycle.grouping import Failure, OriginGroup, group_failures, merge_groups, priority
from oncall.agents.lifecycle.notify import message_text
from oncall.agents.lifecycle.store import (
    AssertionState,
    FailingAssertion,
    Store,
    TimelineEntry,
    TrackedIncident,
)
from oncall.agents.writeback import DESCRIPTION_MARK, IncidentDraft
from oncall.catalog.base import Catalog
from oncall.catalog.run_events import RunEvent
from oncall.catalog.snapshot import snapshot
from oncall.catalog.urns import ACTOR, InvalidUrnError
from oncall.config import Config
from oncall.errors import CatalogUnavailableError, NotFoundError
from oncall.report.models import RunResult, Write
from oncall.report.postmortem import display_name

__all__ = ["BatchReport", "Handler", "RunLoop"]

RunLoop = Callable[[str, Catalog], Awaitable[RunResult]]
"""Runs the incident loop with a dataset URN as the symptom (dry run) on the given catalog (the pass's
snapshot) and returns its result."""

_PRIORITY = {0: "CRITICAL", 1: "HIGH", 2: "MEDIUM", 3: "LOW"}


@dataclass
class BatchReport:
    """What one batch did, for the watcher's log and `--json`."""

    events: int = 0
    fresh: int = 0
    ignored: int = 0
    """Duplicates, out-of-order events older than what was seen, baseline-instance runs, and failures
    of a check the catalog files on another dataset (a dbt relationships test's referenced-side copy)."""
    loops: int = 0
    opened: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    reopened: list[str] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)
    hands_off: list[str] = field(default_factory=list)
    writes: list[Write] = field(default_factory=list)
    log: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "fresh": self.fresh,
            "ignored": self.ignored,
            "loops": self.loops,
            "opened": self.opened,
            "updated": self.updated,
            "reopened": self.reopened,
            "resolved": self.resolved,
            "hands_off": self.hands_off,
            "log": self.log,
        }


def _generation(origin: str, urn: str) -> int:
    for g in range(writeback.MAX_GENERATIONS):
        if writeback.incident_urn(origin, g) == urn:
            return g
    return -1


class Handler:
    """Applies batches of run events to DataHub incidents and the lifecycle store.

    Args:
        config: settings (`relapse_window_s`, instances, Slack mentions).
        catalog: an open, writable catalog.
        store: the lifecycle store.
        run_loop: the incident loop for one symptom URN.
        clock: milliseconds now (tests move time).
    """

    def __init__(
        self,
        config: Config,
        catalog: Catalog,
        store: Store,
        run_loop: RunLoop,
        *,
        clock: Callable[[], int] | None = None,
    ) -> None:
        self.config = config
        self.catalog = catalog
        self.store = store
        self.run_loop = run_loop
        self.clock = clock or (lambda: int(time.time() * 1000))
        self.window_ms = int(config.relapse_window_s * 1000)
        self._announce: list[tuple[TrackedIncident, str]] = []
        self._instances: dict[str, str | None] = {}
        self.reads: Catalog = catalog
        """The pass's snapshot of `catalog` for reads; writes and their read-backs use `catalog`."""

    # ------------------------------------------------------------------ the batch

    async def handle(
        self, events: Sequence[RunEvent], *, source: str | None = None, position: int | None = None
    ) -> BatchReport:
        """Apply `events`; commit them with the feed position (`source`, `position`) when given."""
        report = BatchReport(events=len(events))
        self.reads = snapshot(self.catalog)
        seen_ms = self.clock()
        fresh = self._fresh(events, report)
        report.fresh = len(fresh)
        touched: dict[str, TrackedIncident] = {}
        active = {i.urn: i for i in self.store.incidents(state="ACTIVE")}
        self._record_runs(fresh, active, touched)
        groups = await self._group(fresh, active, report)
        for group in groups.values():
            self._file(group, active, touched, report, seen_ms)
        self._check_deleted(active, touched, report)
        self._resolve_recovered(active, touched, report)
        messages = [(i.urn, kind, message_text(i, self.config.slack_users)) for i, kind in self._announce]
        states = [
            AssertionState(
                assertion_urn=e.assertion_urn,
                dataset_urn=e.dataset_urn,
                result=e.result,
                timestamp_ms=e.timestamp_ms,
                run_id=e.run_id,
            )
            for e in fresh
        ]
        self.store.commit(
            source=source, position=position, states=states, incidents=touched.values(), messages=messages
        )
        self._announce = []
        writeback.record_writes(self.config, "lifecycle", report.writes)
        return report

    def _fresh(self, events: Sequence[RunEvent], report: BatchReport) -> list[RunEvent]:
        """Per assertion the newest event, if newer than the newest already seen; others are ignored."""
        self._announce = []
        newest: dict[str, RunEvent] = {}
        for e in events:
            best = newest.get(e.assertion_urn)
            if best is None or (e.timestamp_ms, e.position) > (best.timestamp_ms, best.position):
                newest[e.assertion_urn] = e
        known = self.store.assertion_states(newest)
        fresh = []
        for urn, e in newest.items():
            seen = known.get(urn)
            if (seen and e.timestamp_ms <= seen.timestamp_ms) or self._baseline(e.dataset_urn):
                continue
            fresh.append(e)
        report.ignored = len(events) - len(fresh)
        return sorted(fresh, key=lambda e: (e.timestamp_ms, e.assertion_urn))

    def _baseline(self, dataset: str) -> bool:
        """Runs on the clean baseline instance are the reference, not production incidents."""
        base, prod = self.config.baseline_instance, self.config.production_instance
        if not base or base == prod:
            return False
        if dataset not in self._instances:  # the catalog's word, never guessed from the name
            try:
                self._instances[dataset] = self.reads.get(dataset).instance
            except (NotFoundError, InvalidUrnError):
                self._instances[dataset] = None
        return self._instances[dataset] == base

    def _record_runs(
        self,
        fresh: Sequence[RunEvent],
        active: dict[str, TrackedIncident],
        touched: dict[str, TrackedIncident],
    ) -> None:
        """The latest result of each assertion on the open incidents that list it."""
        by_urn = {e.assertion_urn: e for e in fresh}
        for incident in active.values():
            for a in incident.assertions:
                e = by_urn.get(a.urn)
                if e is not None and e.timestamp_ms > a.last_ms:
                    a.last_result, a.last_run_id, a.last_ms = e.result, e.run_id, e.timestamp_ms
                    touched[incident.urn] = incident

    async def _group(
        self, fresh: Sequence[RunEvent], active: dict[str, TrackedIncident], report: BatchReport
    ) -> dict[str, OriginGroup]:
        """Origin groups of the failures not yet on an open incident.

        Most downstream first: one loop's answer also covers every failing dataset on the path from
        its symptom to an origin (the origins on that path are its origins too), so a chain of
        failures costs one loop, not one per dataset.
        """
        listed = {a.urn for i in active.values() for a in i.assertions if not a.deleted}
        by_dataset: dict[str, list[RunEvent]] = {}
        for e in fresh:
            if e.result == "FAILURE" and e.assertion_urn not in listed:
                by_dataset.setdefault(e.dataset_urn, []).append(e)
        for dataset, events in list(by_dataset.items()):
            kept = await asyncio.to_thread(self._filed_here, dataset, events)
            report.ignored += len(events) - len(kept)
            if kept:
                by_dataset[dataset] = kept
            else:
                del by_dataset[dataset]
        depth = {d: await asyncio.to_thread(self._depth, d) for d in by_dataset}
        groups: list[OriginGroup] = []
        answered: list[RunResult] = []
        for dataset in sorted(by_dataset, key=lambda d: (-depth[d], d)):
            covered = _covered(dataset, answered)
            if covered is not None:
                groups += group_failures(dataset, by_dataset[dataset], covered)
                continue
            groups += await self._origins(dataset, by_dataset[dataset], report, answered)
        return merge_groups(groups)

    def _filed_here(self, dataset: str, events: list[RunEvent]) -> list[RunEvent]:
        """The failures the catalog files on `dataset`.

        DataHub's dbt source writes a test that reads two models (`relationships`) as one assertion per
        model, each with its own run events; the catalog keeps the copy on the model under test and
        drops the one on the referenced model. A failure of the dropped copy is the same check failing:
        the kept copy's own event carries it, so it is not a failure of `dataset`. Events of unknown
        datasets or deleted assertions stay (their own origin, as before).
        """
        try:
            listed = {a.urn for a in self.reads.assertions(dataset, history=1)}
        except NotFoundError:
            return events
        if not listed and not self.reads.exists(dataset):
            return events
        return [e for e in events if e.assertion_urn in listed or not self.reads.exists(e.assertion_urn)]

    def _depth(self, dataset: str) -> int:
        try:
            return len(self.reads.lineage(dataset, direction="upstream"))
        except NotFoundError:
            return 0

    async def _origins(
        self, dataset: str, failing: list[RunEvent], report: BatchReport, answered: list[RunResult]
    ) -> list[OriginGroup]:
        report.loops += 1
        try:
            result = await self.run_loop(dataset, self.reads)
            answered.append(result)
        except CatalogUnavailableError:
            raise  # the whole batch waits for the catalog
        except NotFoundError:
            note = "the failing dataset is not in the catalog: its own origin"
            return group_failures(dataset, failing, None, note=note)
        except Exception as exc:  # a loop that fails must not stall the feed forever
            report.log.append(f"the loop failed on {dataset}: {exc}; filed as its own origin")
            return group_failures(dataset, failing, None, note=f"the loop failed: {exc}")
        downstream: list[tuple[str, str]] = []
        if not result.origins:
            downstream = [
                (n.ref.urn, n.ref.type) for n in self.reads.lineage(dataset, direction="downstream")
            ]
        return group_failures(dataset, failing, result, downstream=downstream)

    # ------------------------------------------------------------------ filing

    def _file(
        self,
        group: OriginGroup,
        active: dict[str, TrackedIncident],
        touched: dict[str, TrackedIncident],
        report: BatchReport,
        seen_ms: int,
    ) -> None:
        current = next((i for i in active.values() if i.origin == group.origin and i.state == "ACTIVE"), None)
        if current is not None and self._still_open(current, touched):
            self._join(current, group, touched, report)
            return
        relapsed = self._relapse_candidate(group.origin)
        if relapsed is not None:
            self._reopen(relapsed, group, active, touched, report)
            return
        self._open(group, active, touched, report, seen_ms)

    def _still_open(self, incident: TrackedIncident, touched: dict[str, TrackedIncident]) -> bool:
        """False when DataHub says a person resolved (or deleted) it: the next failure opens the next."""
        current = changes.read_info(self.catalog, incident.urn)
        if current is not None and current.status.state == "ACTIVE":
            return True
        actor = (
            current.status.lastUpdated.actor if current is not None and current.status.lastUpdated else None
        )
        incident.state = "RESOLVED"
        incident.stage = str(current.status.stage) if current is not None and current.status.stage else None
        incident.resolved_ms = (
            current.status.lastUpdated.time if current is not None else None
        ) or self.clock()
        incident.resolved_by = actor or "deleted"
        incident.hands_off = incident.hands_off or (
            f"resolved by {actor}" if current is not None else "deleted from DataHub"
        )
        self._note(incident, f"Closed outside the watcher: {incident.hands_off}", actor=actor or ACTOR)
        touched[incident.urn] = incident
        return False

    def _owners(self, origin: str) -> list[str]:
        try:
            return [o.urn for o in self.reads.get(origin).owners]
        except NotFoundError:
            return []

    def _merge_group(self, incident: TrackedIncident, group: OriginGroup) -> list[FailingAssertion]:
        """Add the group's failures, entities and paths to the incident; returns the new assertions."""
        added = []
        for f in group.failures:
            have = incident.assertion(f.assertion_urn)
            if have is None:
                entry = _entry(f)
                incident.assertions.append(entry)
                added.append(entry)
            elif f.timestamp_ms > have.last_ms:
                have.last_result, have.last_run_id, have.last_ms = "FAILURE", f.run_id, f.timestamp_ms
                have.deleted = False
        incident.affected = list(dict.fromkeys([*incident.affected, *group.affected]))
        incident.dashboards = list(dict.fromkeys([*incident.dashboards, *group.dashboards]))
        incident.paths += [p for p in group.paths if p not in incident.paths]
        incident.names.update(group.names)
        incident.run_ids = list(dict.fromkeys([*incident.run_ids, *group.run_ids]))
        incident.priority = min(incident.priority, priority(len(incident.affected), len(incident.dashboards)))
        return added

    def _join(
        self,
        incident: TrackedIncident,
        group: OriginGroup,
        touched: dict[str, TrackedIncident],
        report: BatchReport,
    ) -> None:
        added = self._merge_group(incident, group)
        touched[incident.urn] = incident
        if not added:
            return
        checks = ", ".join(f"{a.native_type} on {display_name(a.dataset_urn, incident.names)}" for a in added)
        message = f"{len(added)} more failing assertion(s) joined: {checks}"
        if self._write(incident, report, message=message):
            report.updated.append(incident.urn)
            self._announce.append((incident, "update"))

    def _relapse_candidate(self, origin: str) -> TrackedIncident | None:
        """The origin's latest incident, if the watcher resolved it within the relapse window."""
        resolved = self.store.incidents(state="RESOLVED", origin=origin)
        if not resolved:
            return None
        latest = max(resolved, key=lambda i: (i.resolved_ms or 0, i.generation))
        recent = latest.resolved_ms is not None and self.clock() - latest.resolved_ms <= self.window_ms
        if latest.resolved_by == "watcher" and recent and latest.hands_off is None:
            return latest
        return None

    def _reopen(
        self,
        incident: TrackedIncident,
        group: OriginGroup,
        active: dict[str, TrackedIncident],
        touched: dict[str, TrackedIncident],
        report: BatchReport,
    ) -> None:
        self._merge_group(incident, group)
        failing = ", ".join(f.native_type for f in group.failures)
        message = f"Relapsed: failing again ({failing}) within the relapse window; re-opened"
        incident.state, incident.stage = "ACTIVE", "TRIAGE"
        incident.resolved_ms = incident.resolved_by = None
        if self._write(incident, report, message=message, state="ACTIVE", stage="TRIAGE"):
            report.reopened.append(incident.urn)
            self._announce.append((incident, "update"))
        active[incident.urn] = incident
        touched[incident.urn] = incident

    def _open(
        self,
        group: OriginGroup,
        active: dict[str, TrackedIncident],
        touched: dict[str, TrackedIncident],
        report: BatchReport,
        seen_ms: int,
    ) -> None:
        now = self.clock()
        owners = self._owners(group.origin)
        incident = TrackedIncident(
            urn="",
            origin=group.origin,
            origin_name=display_name(group.origin, group.names),
            assignees=owners,
            first_event_ms=min((f.timestamp_ms for f in group.failures if f.timestamp_ms), default=now),
            seen_ms=seen_ms,
            opened_ms=now,
        )
        self._merge_group(incident, group)
        incident.priority = priority(len(incident.affected), len(incident.dashboards))
        incident.title = _title(incident)
        who = "assigned to " + ", ".join(o.rsplit(":", 1)[-1] for o in owners) if owners else "no owner"
        count = len(incident.assertions)
        message = f"Opened: {count} failing assertion(s) grouped under {incident.origin_name}; {who}"
        if group.note:
            message += f" ({group.note})"
        draft = IncidentDraft(
            origin=group.origin,
            title=incident.title,
            description=_description(incident),
            type="CUSTOM",
            custom_type="DATA_QUALITY",
            priority=incident.priority,
            entities=list(
                dict.fromkeys(
                    [group.origin, *incident.affected, *(a.dataset_urn for a in incident.assertions)]
                )
            ),
            source_urn=incident.assertions[0].urn if incident.assertions else None,
            assignees=owners,
            message=message,
        )
        write = writeback.write_incident(self.catalog, draft, now)
        report.writes.append(write)
        incident.urn = write.urn
        incident.generation = _generation(group.origin, write.urn)
        incident.timeline.append(
            TimelineEntry(ts_ms=now, state="ACTIVE", stage="TRIAGE", message=message, actor=ACTOR)
        )
        after = changes.read_info(self.catalog, write.urn)
        if write.action != "create" and after is not None:
            # Already open at the origin's stable URN (a crash before our commit, or `oncall run`): adopt it.
            incident.opened_ms = (after.created.time if after.created else now) or now
            if after.status.message != message:
                self._write(incident, report, message=message, snapshot=after.to_obj())
                after = changes.read_info(self.catalog, write.urn)
        incident.snapshot = after.to_obj() if after is not None else {}
        incident.stage = str(after.status.stage) if after is not None and after.status.stage else "TRIAGE"
        active[incident.urn] = incident
        touched[incident.urn] = incident
        report.opened.append(incident.urn)
        self._announce.append((incident, "post"))

    # ------------------------------------------------------------------ writes

    def _write(
        self,
        incident: TrackedIncident,
        report: BatchReport,
        *,
        message: str,
        state: str | None = None,
        stage: str | None = None,
        snapshot: dict[str, Any] | None = None,
    ) -> bool:
        """Write the incident's change unless a person has taken it over; True when written."""
        if incident.hands_off:
            return False
        current = changes.read_info(self.catalog, incident.urn)
        if current is None:
            incident.hands_off = "deleted from DataHub"
            report.hands_off.append(incident.urn)
            return False
        edited = changes.person_edit(current, snapshot if snapshot is not None else incident.snapshot)
        if edited:
            incident.hands_off = edited
            self._note(incident, f"Left alone from now on: {edited}", actor=ACTOR)
            report.hands_off.append(incident.urn)
            return False
        now = self.clock()
        entities = [incident.origin, *incident.affected, *(a.dataset_urn for a in incident.assertions)]
        write, after = changes.apply_change(
            self.catalog,
            incident.urn,
            message=message,
            state=state,
            stage=stage,
            description=_description(incident),
            entities=entities,
            priority=_raised(current.priority, incident.priority),
            now_ms=now,
        )
        report.writes.append(write)
        incident.snapshot = after
        incident.timeline.append(
            TimelineEntry(
                ts_ms=now,
                state=state or incident.state,
                stage=stage or incident.stage,
                message=message,
                actor=ACTOR,
            )
        )
        return True

    def _note(self, incident: TrackedIncident, message: str, *, actor: str) -> None:
        incident.timeline.append(
            TimelineEntry(
                ts_ms=self.clock(), state=incident.state, stage=incident.stage, message=message, actor=actor
            )
        )

    # ------------------------------------------------------------------ recoveries

    def _check_deleted(
        self, active: dict[str, TrackedIncident], touched: dict[str, TrackedIncident], report: BatchReport
    ) -> None:
        """An assertion deleted while its incident is open cannot pass again: it stops counting."""
        for incident in active.values():
            if incident.hands_off:
                continue
            for a in incident.failing():
                if not self.reads.exists(a.urn):
                    a.deleted = True
                    self._note(
                        incident,
                        f"Assertion {a.native_type} on {_on(a, incident)} was deleted",
                        actor=ACTOR,
                    )
                    touched[incident.urn] = incident

    def _resolve_recovered(
        self, active: dict[str, TrackedIncident], touched: dict[str, TrackedIncident], report: BatchReport
    ) -> None:
        for incident in list(active.values()):
            if incident.state != "ACTIVE" or incident.hands_off or incident.failing():
                continue
            passing = [a for a in incident.assertions if not a.deleted]
            deleted = [a for a in incident.assertions if a.deleted]
            if not passing and not deleted:  # a run's incident, adopted when its origin passed already
                message, stage = "Resolved: no assertion of its origin fails any more", "FIXED"
            elif passing:
                runs = "; ".join(
                    f"{a.native_type} on {_on(a, incident)} (run {a.last_run_id or '?'})" for a in passing
                )
                message = f"Resolved: every assertion passes again: {runs}"
                stage = "FIXED"
            else:
                message = "Resolved: every assertion of this incident was deleted"
                stage = "NO_ACTION_REQUIRED"
            if deleted and passing:
                message += f"; {len(deleted)} deleted"
            if self._write(incident, report, message=message, state="RESOLVED", stage=stage):
                incident.state, incident.stage = "RESOLVED", stage
                incident.resolved_ms, incident.resolved_by = self.clock(), "watcher"
                report.resolved.append(incident.urn)
                self._announce.append((incident, "update"))
            touched[incident.urn] = incident


def _covered(dataset: str, answered: Sequence[RunResult]) -> RunResult | None:
    """An earlier loop's answer seen from `dataset`: its origins whose path runs through it, each path
    starting at `dataset`; None when no answer has such an origin."""
    for result in answered:
        through = [
            rc.model_copy(update={"lineage_path": rc.lineage_path[rc.lineage_path.index(dataset) :]})
            for rc in result.origins
            if dataset in rc.lineage_path
        ]
        if through:
            return result.model_copy(update={"root_causes": through})
    return None


def _on(a: FailingAssertion, incident: TrackedIncident) -> str:
    return display_name(a.dataset_urn, incident.names)


def _raised(current: int | None, ours: int) -> int | None:
    """Our priority when it is more urgent than the incident's (a wider blast radius), else no change."""
    return ours if current is None or ours < current else None


def _entry(f: Failure) -> FailingAssertion:
    return FailingAssertion(
        urn=f.assertion_urn,
        dataset_urn=f.dataset_urn,
        native_type=f.native_type,
        first_failed_ms=f.timestamp_ms,
        first_run_id=f.run_id,
        last_result="FAILURE",
        last_run_id=f.run_id,
        last_ms=f.timestamp_ms,
    )


def _title(incident: TrackedIncident) -> str:
    checks = sorted({a.native_type for a in incident.assertions})
    shown = ", ".join(checks[:3]) + (f" +{len(checks) - 3}" if len(checks) > 3 else "")
    return f"{incident.origin_name}: {shown} failing"


def _description(incident: TrackedIncident) -> str:
    names = incident.names
    lines = [
        f"{DESCRIPTION_MARK} Assertion failures grouped under their origin "
        f"{display_name(incident.origin, names)} (priority {_PRIORITY.get(incident.priority)}).",
        "Failing assertions:",
    ]
    for a in incident.assertions:
        state = "deleted" if a.deleted else a.last_result
        lines.append(
            f"- {a.native_type} on {display_name(a.dataset_urn, names)}: {state} "
            f"(run {a.last_run_id or '?'}) `{a.urn}`"
        )
    for path in incident.paths[:10]:
        lines.append("Lineage: " + " -> ".join(display_name(u, names) for u in path))
    lines.append(f"Blast radius: {len(incident.affected)} entities, {len(incident.dashboards)} dashboards.")
    return "\n".join(lines)
