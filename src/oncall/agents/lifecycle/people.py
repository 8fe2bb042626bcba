"""What a person does with the watcher's incidents: list, show, acknowledge, resolve, and the timings.

The same functions back `oncall incidents ...`, the console's API and the MCP tools. An acknowledgement
moves the incident to INVESTIGATION (the watcher still resolves it when its checks pass); a person's
resolve is final for the watcher: it never touches that incident again, and a relapse opens the next.
Each change is written to DataHub with the person as the actor, read back, and announced on Slack.
"""

from __future__ import annotations

import statistics
import time
from typing import Any, Literal

from oncall.agents.lifecycle import changes
from oncall.agents.lifecycle.notify import message_text
from oncall.agents.lifecycle.store import Store, TimelineEntry, TrackedIncident, store_path
from oncall.catalog.base import Catalog
from oncall.config import Config
from oncall.errors import NotFoundError, UserError

__all__ = ["acknowledge", "incident_stats", "list_incidents", "resolve", "show_incident"]

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


def _find(store: Store, urn: str) -> TrackedIncident:
    found = store.incident(urn)
    if found is None:
        matches = [i for i in store.incidents() if i.urn.endswith(urn)] if len(urn) >= 6 else []
        if len(matches) == 1:
            return matches[0]
        raise NotFoundError(
            f"{urn} is not an incident the watcher opened; list them with `oncall incidents list`"
        )
    return found


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
    if not store_path(config.home).exists():
        raise NotFoundError("no incidents yet: run `oncall watch` first")
    with _store(config) as store:
        incident = _find(store, urn)
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
