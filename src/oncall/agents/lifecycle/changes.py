"""Incident state changes in DataHub: stage, state, a message on each, read back; a person's edit wins.

Raising and refreshing an origin's incident is `writeback.write_incident` (shared with the Fixer);
this module moves an incident through DataHub's own model (TRIAGE -> INVESTIGATION -> FIXED /
NO_ACTION_REQUIRED, state ACTIVE / RESOLVED) and keeps its assertions, entities and assignees current.

A person's edit is told from ours by comparing the incident with the snapshot we read back after our
last write: a status set by someone else, or a changed title, priority or assignees, or a description
without our mark, means a person took it over, and the watcher never writes to it again.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, Literal

from datahub.emitter.mcp import MetadataChangeProposalWrapper
from datahub.metadata import schema_classes as m

from oncall.agents.writeback import DESCRIPTION_MARK
from oncall.catalog.base import Catalog
from oncall.catalog.urns import ACTOR
from oncall.report.models import Write

__all__ = ["apply_change", "person_edit", "read_info"]


def read_info(catalog: Catalog, urn: str) -> m.IncidentInfoClass | None:
    """The incident's current IncidentInfo (from the entity store, not the lagging search index)."""
    info: m.IncidentInfoClass | None = catalog.get_aspect(urn, m.IncidentInfoClass)
    return info


def _assignees(info: m.IncidentInfoClass | dict[str, Any]) -> list[str]:
    items = info.assignees if isinstance(info, m.IncidentInfoClass) else info.get("assignees")
    out = []
    for a in items or []:
        out.append(a.actor if isinstance(a, m.IncidentAssigneeClass) else a.get("actor"))
    return sorted(str(a) for a in out)


def person_edit(current: m.IncidentInfoClass, snapshot: dict[str, Any]) -> str | None:
    """Why `current` is no longer ours (what a person changed since our snapshot), or None."""
    if not snapshot:
        return None
    before = snapshot.get("status") or {}
    status = current.status
    actor = status.lastUpdated.actor if status.lastUpdated else None
    moved = (status.state, status.stage, status.message) != (
        before.get("state"),
        before.get("stage"),
        before.get("message"),
    )
    if moved and actor != ACTOR:
        return f"{actor or 'someone'} set it {status.state}/{status.stage}: {status.message or ''}".strip()
    if (current.title or "") != (snapshot.get("title") or ""):
        return "a person edited the title"
    if current.priority != snapshot.get("priority"):
        return "a person changed the priority"
    if _assignees(current) != _assignees(snapshot):
        return "a person changed the assignees"
    if not (current.description or "").startswith(DESCRIPTION_MARK):
        return "a person edited the description"
    return None


def apply_change(
    catalog: Catalog,
    urn: str,
    *,
    message: str,
    state: str | None = None,
    stage: str | None = None,
    actor: str = ACTOR,
    description: str | None = None,
    entities: Sequence[str] | None = None,
    assignees: Sequence[str] | None = None,
    priority: int | None = None,
    now_ms: int | None = None,
) -> tuple[Write, dict[str, Any]]:
    """Rewrite the incident with these changes and a status message; returns the write and the read-back.

    Only the given fields change; the status gets the message and the actor either way (a message
    on each change). Verified when the read-back shows the state, stage and message written.
    """
    current = read_info(catalog, urn)
    if current is None:
        return Write(urn=urn, aspect="incidentInfo", action="skipped", detail="incident is gone"), {}
    now = now_ms or int(time.time() * 1000)
    info = m.IncidentInfoClass.from_obj(current.to_obj())
    info.status = m.IncidentStatusClass(
        state=state or current.status.state,
        stage=stage or current.status.stage,
        message=message,
        lastUpdated=m.AuditStampClass(time=now, actor=actor),
    )
    if description is not None and (current.description or "").startswith(DESCRIPTION_MARK):
        info.description = description
    if entities is not None:
        info.entities = list(dict.fromkeys([*current.entities, *entities]))
    if assignees is not None:
        stamp = m.AuditStampClass(time=now, actor=actor)
        info.assignees = [m.IncidentAssigneeClass(actor=a, assignedAt=stamp) for a in assignees] or None
    if priority is not None:
        info.priority = priority
    catalog.emit([MetadataChangeProposalWrapper(entityUrn=urn, aspect=info)])
    after = read_info(catalog, urn)
    verified = (
        after is not None
        and after.status.state == info.status.state
        and after.status.stage == info.status.stage
        and after.status.message == message
    )
    action: Literal["resolve", "update"] = "resolve" if info.status.state == "RESOLVED" else "update"
    write = Write(urn=urn, aspect="incidentInfo", action=action, verified=verified, detail=message)
    return write, (after.to_obj() if after is not None else {})
