"""What a person does with the watcher's incidents: list, show, acknowledge, resolve, and the timings.

The same functions back `oncall incidents ...`, the console's API and the MCP tools. An acknowledgement
moves the incident to INVESTIGATION (the watcher still resolves it when its checks pass); a person's
resolve is final for the watcher: it never touches that incident again, and a relapse opens the next.
Each change is written to DataHub with the person as the actor, read back, and announced on Slack.

An incident a run raised (`oncall run`, `investigate_incident(dry_run=false)`) lives at the same
stable URN per origin as the watcher's, so it is acknowledged and resolved the same way: the first
change *adopts* it into the lifecycle store, listing its origin's currently failing assertions. From
then on it is the watcher's like any other: acknowledged, it still resolves itself when those pass
again; resolved, it is final. Incidents datahub-oncall did not raise are refused (change them in
DataHub, where their owners do).
"""

from __future__ import annotations

import statistics
import time
from typing import Any, Literal

import datahub.metadata.schema_classes as m

from oncall.agents import writeback
from oncall.agents.lifecycle import changes
from oncall.agents.lifecycle.notify import message_text
from oncall.agents.lifecycle.store import (
    FailingAssertion,
    Store,
    TimelineEntry,
    TrackedIncident,
    store_path,
)
from oncall.agents.writeback import ACTOR
from oncall.catalog.base import Catalog
from oncall.config import Config
from oncall.errors import NotFoundError, UserError

__all__ = ["acknowledge", "adopt", "incident_stats", "list_incidents", "resolve", "show_incident"]

Stage = Literal["FIXED", "NO_ACTION_REQUIRED"]


def _store(config: Config) -> Store:
    return Store(store_path(config.home))


def list_incidents(config: Config, *, state: str | None = None) -> list[TrackedIncident]:
    """The watcher's incidents, newest first (state ACTIVE or RESOLVED to filter)."""
    if state not in (None, "ACTIVE", "RESOLVED"):
        raise UserError(f"state must be ACTIVE or RESOLVED, not {state!r}")
    if not store_path(config.home).exists():
        return []
    with _store(config) as store:
        return store.incidents(state=state)


def _lookup(store: Store, urn: str) -> TrackedIncident | None:
    found = store.incident(urn)
    if found is None:
        matches = [i for i in store.incidents() if i.urn.endswith(urn)] if len(urn) >= 6 else []
        if len(matches) == 1:
            return matches[0]
    return found


def _find(store: Store, urn: str) -> TrackedIncident:
    found = _lookup(store, urn)
    if found is None:
        raise NotFoundError(
            f"{urn} is not an incident the watcher opened; list them with `oncall incidents list`"
        )
    return found


def _origin_of(urn: str, entities: list[str]) -> tuple[str, int]:
    """The origin (and generation) whose stable incident URN is `urn`; our URNs name their origin."""
    for entity in entities:
        for generation in range(writeback.MAX_GENERATIONS):
            if writeback.incident_urn(entity, generation) == urn:
                return entity, generation
    return (entities[0] if entities else ""), 0


def adopt(catalog: Catalog, urn: str) -> TrackedIncident:
    """A run's incident as the lifecycle tracks it: its origin's failing assertions, owners, timings.

    Raises `NotFoundError` when DataHub has no such incident, `UserError` for an URN that is not an
    incident's or an incident datahub-oncall did not raise.
    """
    if urn.startswith("urn:li:") and not urn.startswith("urn:li:incident:"):  # a bad argument
        raise UserError(
            f"{urn} is not an incident URN (urn:li:incident:...); list them with `oncall incidents list`"
        )
    if not urn.startswith("urn:li:incident:"):  # a short id that matched no incident the watcher tracks
        raise NotFoundError(
            f"{urn} is not an incident the watcher opened; list them with `oncall incidents list`"
        )
    info = changes.read_info(catalog, urn)
    if info is None:
        raise NotFoundError(f"no incident {urn} in DataHub; list them with `oncall incidents list`")
    creator = info.created.actor if info.created else None
    if creator != ACTOR:
        raise UserError(
            f"{urn} was raised by {creator or 'someone else'}, not by datahub-oncall: change it in DataHub"
        )
    origin, generation = _origin_of(urn, list(info.entities))
    created = (info.created.time if info.created else 0) or int(time.time() * 1000)
    failing = _failing_assertions(catalog, origin)
    names = {origin: catalog.get(origin).name} if origin and catalog.exists(origin) else {}
    stage = str(info.status.stage) if info.status.stage else "TRIAGE"
    resolved = info.status.state == m.IncidentStateClass.RESOLVED
    last = info.status.lastUpdated
    return TrackedIncident(
        urn=urn,
        origin=origin,
        origin_name=names.get(origin, origin),
        generation=generation,
        title=info.title or "",
        state="RESOLVED" if resolved else "ACTIVE",
        resolved_by=(last.actor if last else None) if resolved else None,
        stage=stage,
        priority=info.priority if info.priority is not None else 3,
        assignees=[a.actor for a in info.assignees or []],
        assertions=failing,
        affected=[e for e in info.entities if e != origin],
        dashboards=[e for e in info.entities if e.startswith("urn:li:dashboard:")],
        names=names,
        first_event_ms=min((a.first_failed_ms for a in failing), default=created),
        seen_ms=created,
        opened_ms=created,
        snapshot=info.to_obj(),
        timeline=[
            TimelineEntry(
                ts_ms=created,
                state="ACTIVE",
                stage="TRIAGE",
                message="Raised by a run of datahub-oncall",
                actor=ACTOR,
            )
        ],
        opened_by="run",
    )


def _failing_assertions(catalog: Catalog, origin: str) -> list[FailingAssertion]:
    """The origin's assertions whose latest run fails: what must pass again for it to resolve."""
    if not origin or not catalog.exists(origin):
        return []
    out = []
    for a in catalog.assertions(origin, history=1):
        run = a.latest
        if run is not None and run.result == "FAILURE":
            out.append(
                FailingAssertion(
                    urn=a.urn,
                    dataset_urn=a.dataset_urn,
                    native_type=a.native_type,
                    first_failed_ms=run.timestamp_ms,
                    first_run_id=run.run_id,
                    last_run_id=run.run_id,
                    last_ms=run.timestamp_ms,
                )
            )
    return out


def show_incident(config: Config, urn: str) -> TrackedIncident:
    """One incident (full URN, or a unique end of it such as the last 8 characters)."""
    if not store_path(config.home).exists():
        raise NotFoundError("no incidents yet: run `oncall watch` first")
    with _store(config) as store:
        return _find(store, urn)


def _change(
    config: Config,
    catalog: Catalog,
    urn: str,
    *,
    by: str,
    message: str,
    state: str,
    stage: str,
) -> TrackedIncident:
    with _store(config) as store:
        incident = _lookup(store, urn) or adopt(catalog, urn)
        if incident.state == "RESOLVED":
            raise UserError(f"{incident.urn} is already resolved ({incident.resolved_by}); nothing to do")
        now = int(time.time() * 1000)
        write, after = changes.apply_change(
            catalog, incident.urn, message=message, state=state, stage=stage, actor=by, now_ms=now
        )
        if not write.verified:
            raise UserError(f"DataHub did not confirm the change of {incident.urn} ({write.detail})")
        incident.snapshot = after
        incident.stage = stage
        incident.timeline.append(
            TimelineEntry(ts_ms=now, state=state, stage=stage, message=message, actor=by)
        )
        if state == "RESOLVED":
            incident.state = "RESOLVED"
            incident.resolved_ms, incident.resolved_by = now, by
            incident.hands_off = f"resolved by {by}"
        elif incident.acked_ms is None:
            incident.acked_ms = now
        store.commit(
            incidents=[incident],
            messages=[(incident.urn, "update", message_text(incident, config.slack_users))],
        )
        return incident


def acknowledge(
    config: Config, catalog: Catalog, urn: str, *, by: str, note: str | None = None
) -> TrackedIncident:
    """Acknowledge: stage INVESTIGATION, still ACTIVE, `by` (a corpuser URN) as the actor."""
    who = by.rsplit(":", 1)[-1]
    message = f"Acknowledged by {who}" + (f": {note}" if note else "")
    return _change(config, catalog, urn, by=by, message=message, state="ACTIVE", stage="INVESTIGATION")


def resolve(
    config: Config, catalog: Catalog, urn: str, *, by: str, stage: Stage = "FIXED", note: str | None = None
) -> TrackedIncident:
    """Resolve as a person (FIXED or NO_ACTION_REQUIRED); the watcher leaves it alone from then on."""
    if stage not in ("FIXED", "NO_ACTION_REQUIRED"):
        raise UserError(f"stage must be FIXED or NO_ACTION_REQUIRED, not {stage!r}")
    who = by.rsplit(":", 1)[-1]
    message = f"Resolved by {who} ({stage})" + (f": {note}" if note else "")
    return _change(config, catalog, urn, by=by, message=message, state="RESOLVED", stage=stage)


def record_reset(config: Config, urns: list[str], *, by: str) -> list[TrackedIncident]:
    """Mirror `oncall reset` in the store: the incidents it resolved in DataHub are RESOLVED here too.

    Reset already wrote DataHub; without this the store (and `incidents list`) kept showing them ACTIVE
    until the next failure or recovery reached them. They are final: a relapse opens the next one.
    """
    if not urns or not store_path(config.home).exists():
        return []
    now = int(time.time() * 1000)
    changed: list[TrackedIncident] = []
    with _store(config) as store:
        for urn in urns:
            incident = store.incident(urn)
            if incident is None or incident.state == "RESOLVED":
                continue
            message = "Resolved by oncall reset (what datahub-oncall wrote was undone)"
            incident.timeline.append(
                TimelineEntry(ts_ms=now, state="RESOLVED", stage=incident.stage, message=message, actor=by)
            )
            incident.state = "RESOLVED"
            incident.resolved_ms, incident.resolved_by = now, by
            incident.hands_off = "resolved by oncall reset"
            changed.append(incident)
        store.commit(
            incidents=changed,
            messages=[(i.urn, "update", message_text(i, config.slack_users)) for i in changed],
        )
    return changed


def _seconds(start: int | None, end: int | None) -> float | None:
    if not start or not end:
        return None
    return round(max(end - start, 0) / 1000, 3)


def _median(values: list[Any]) -> float | None:
    known = [v for v in values if v is not None]
    return round(statistics.median(known), 3) if known else None


def incident_stats(config: Config) -> dict[str, Any]:
    """Per incident: seconds to open (failing run -> incident), to acknowledge and to resolve; medians."""
    rows = []
    for i in list_incidents(config):
        rows.append(
            {
                "urn": i.urn,
                "title": i.title,
                "state": i.state,
                "resolved_by": i.resolved_by,
                "time_to_open_s": _seconds(i.first_event_ms, i.opened_ms),
                "time_to_ack_s": _seconds(i.opened_ms, i.acked_ms),
                "time_to_resolve_s": _seconds(i.opened_ms, i.resolved_ms),
            }
        )
    medians = {
        key: _median([r[key] for r in rows])
        for key in ("time_to_open_s", "time_to_ack_s", "time_to_resolve_s")
    }
    return {
        "incidents": rows,
        "count": len(rows),
        "active": sum(r["state"] == "ACTIVE" for r in rows),
        "median": medians,
    }
