"""Write-back to DataHub: the Fixer's writes, each read back, and their undo.

- one `IncidentInfo` per origin, at a stable URN (`incident_urn(origin, generation)`): a re-run updates
  the origin's open incident instead of raising a second one; once it is resolved, the next run opens
  the next generation. An update keeps what people changed (status, stage, assignees, title, priority)
  and only refreshes our own description and adds entities;
- the `quarantined` tag on each origin and a link to the postmortem, both added (never replacing
  existing tags or links); a tag or link that was already there is left alone and is not ours to undo.

Every target must be in the run's scope; anything else is refused. Each change is appended to a ledger
(`<home>/runs/writes.jsonl`) so `reset_writes` undoes exactly what runs did, and nothing else.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

from datahub.emitter.mcp import MetadataChangeProposalWrapper
from datahub.metadata import schema_classes as m
from pydantic import BaseModel

from oncall.catalog.base import Catalog
from oncall.config import Config
from oncall.errors import CatalogError
from oncall.report.models import Write
from oncall.report.postmortem import display_name
from oncall.report.quarantine import QUARANTINE_TAG

__all__ = [
    "ACTOR",
    "DESCRIPTION_MARK",
    "IncidentDraft",
    "apply_writes",
    "incident_urn",
    "ledger_path",
    "postmortem_path",
    "record_writes",
    "reset_writes",
    "write_incident",
]

ACTOR = "urn:li:corpuser:datahub-oncall"
DESCRIPTION_MARK = "[datahub-oncall]"
"""Our incident descriptions start with this; a description without it was edited by a person."""
_NAMESPACE = uuid.UUID("5d0c1f3e-8a63-4c57-9d1e-6c1b0d2a7f11")
_MAX_GENERATIONS = 1000


def incident_urn(origin_urn: str, generation: int = 0) -> str:
    """The stable incident URN of an origin (UUID-shaped, as DataHub mints them)."""
    return f"urn:li:incident:{uuid.uuid5(_NAMESPACE, f'{origin_urn}#{generation}')}"


def ledger_path(config: Config) -> Path:
    """Every write the runs made, one JSON per line (what `reset` undoes)."""
    return config.runs_dir / "writes.jsonl"


def postmortem_path(config: Config, symptom_urn: str) -> Path:
    """Where the postmortem of a symptom lives: stable, so re-runs update one link, not add another."""
    slug = re.sub(r"[^a-z0-9]+", "-", display_name(symptom_urn).lower()).strip("-") or "incident"
    digest = uuid.uuid5(_NAMESPACE, symptom_urn).hex[:8]
    return config.runs_dir / "postmortems" / f"{slug}-{digest}.md"


class IncidentDraft(BaseModel):
    """The incident the Fixer raises for one origin."""

    origin: str
    title: str
    description: str
    type: str
    custom_type: str | None = None
    priority: int
    entities: list[str]
    source_urn: str | None = None
    assignees: list[str] = []
    """corpUser/corpGroup URNs (the lifecycle routes to the origin's owners)."""
    message: str = "Raised by datahub-oncall"


def _stamp(now_ms: int) -> m.AuditStampClass:
    return m.AuditStampClass(time=now_ms, actor=ACTOR)


def _new_info(draft: IncidentDraft, now_ms: int) -> m.IncidentInfoClass:
    return m.IncidentInfoClass(
        type=draft.type,
        customType=draft.custom_type,
        title=draft.title,
        description=draft.description,
        entities=draft.entities,
        priority=draft.priority,
        status=m.IncidentStatusClass(
            state=m.IncidentStateClass.ACTIVE,
            stage=m.IncidentStageClass.TRIAGE,
            message=draft.message,
            lastUpdated=_stamp(now_ms),
        ),
        assignees=[m.IncidentAssigneeClass(actor=a, assignedAt=_stamp(now_ms)) for a in draft.assignees]
        or None,
        source=m.IncidentSourceClass(
            type=m.IncidentSourceTypeClass.ASSERTION_FAILURE, sourceUrn=draft.source_urn
        ),
        startedAt=now_ms,
        created=_stamp(now_ms),
    )


def _merge_info(current: m.IncidentInfoClass, draft: IncidentDraft) -> m.IncidentInfoClass:
    """Our refresh of an open incident: add entities, refresh our own description, keep the rest."""
    merged = m.IncidentInfoClass.from_obj(current.to_obj())
    merged.entities = list(dict.fromkeys([*current.entities, *draft.entities]))
    if (current.description or "").startswith(DESCRIPTION_MARK):
        merged.description = draft.description
    if merged.source is None and draft.source_urn:
        merged.source = m.IncidentSourceClass(
            type=m.IncidentSourceTypeClass.ASSERTION_FAILURE, sourceUrn=draft.source_urn
        )
    return merged


def _open_slot(catalog: Catalog, origin: str) -> tuple[str, m.IncidentInfoClass | None]:
    """The URN of the origin's open incident (with its info), or of the next generation to raise.

    Read by URN from the entity store, not found through the incident search: a DataHub server
    indexes a write only after it has returned, so a search right after a run can miss its incident.
    """
    for generation in range(_MAX_GENERATIONS):
        urn = incident_urn(origin, generation)
        current = catalog.get_aspect(urn, m.IncidentInfoClass)
        if current is None or current.status.state == m.IncidentStateClass.ACTIVE:
            return urn, current
    raise CatalogError(f"{origin} has {_MAX_GENERATIONS} resolved incidents of ours; resolve or delete some")


def write_incident(catalog: Catalog, draft: IncidentDraft, now_ms: int) -> Write:
    """Create or update the origin's open incident, then read it back."""
    urn, current = _open_slot(catalog, draft.origin)
    action: Literal["create", "update", "unchanged"]
    if current is None:
        info, action = _new_info(draft, now_ms), "create"
    else:
        info = _merge_info(current, draft)
        action = "unchanged" if info.to_obj() == current.to_obj() else "update"
    if action != "unchanged":
        catalog.emit([MetadataChangeProposalWrapper(entityUrn=urn, aspect=info)])
    after = catalog.get_aspect(urn, m.IncidentInfoClass)
    verified = (
        after is not None
        and after.status.state == m.IncidentStateClass.ACTIVE
        and draft.origin in after.entities
    )
    return Write(urn=urn, aspect="incidentInfo", action=action, verified=verified, detail=draft.origin)


def ensure_tag(catalog: Catalog) -> Write:
    """The `quarantined` tag entity exists (created once, never overwritten)."""
    if catalog.get_aspect(QUARANTINE_TAG, m.TagPropertiesClass) is not None:
        return Write(urn=QUARANTINE_TAG, aspect="tagProperties", action="unchanged", verified=True)
    props = m.TagPropertiesClass(
        name="quarantined", description="Do not consume: an open data incident", colorHex="#d0021b"
    )
    catalog.emit([MetadataChangeProposalWrapper(entityUrn=QUARANTINE_TAG, aspect=props)])
    verified = catalog.get_aspect(QUARANTINE_TAG, m.TagPropertiesClass) is not None
    return Write(urn=QUARANTINE_TAG, aspect="tagProperties", action="create", verified=verified)


def tag_origin(catalog: Catalog, urn: str) -> Write:
    """Add the `quarantined` tag; an already tagged dataset is left alone (and not ours to untag)."""
    if QUARANTINE_TAG in catalog.get(urn).tags:
        return Write(urn=urn, aspect="globalTags", action="unchanged", verified=True, detail=QUARANTINE_TAG)
    catalog.add_tags(urn, [QUARANTINE_TAG])
    verified = QUARANTINE_TAG in catalog.get(urn).tags
    return Write(urn=urn, aspect="globalTags", action="create", verified=verified, detail=QUARANTINE_TAG)


def link_postmortem(catalog: Catalog, urn: str, url: str, label: str) -> Write:
    """Add the postmortem link (same URL = the link we added on an earlier run)."""
    if any(link.url == url for link in catalog.get(urn).links):
        return Write(urn=urn, aspect="institutionalMemory", action="unchanged", verified=True, detail=url)
    catalog.add_links(urn, [(url, label)])
    verified = any(link.url == url for link in catalog.get(urn).links)
    return Write(urn=urn, aspect="institutionalMemory", action="create", verified=verified, detail=url)


def apply_writes(
    catalog: Catalog,
    drafts: Sequence[IncidentDraft],
    *,
    link_targets: Sequence[str],
    link_url: str,
    link_label: str,
    scope: Iterable[str],
    now_ms: int | None = None,
) -> list[Write]:
    """Every DataHub write of a run, in order, each read back. Targets outside `scope` are refused."""
    allowed = set(scope)
    now = now_ms or int(time.time() * 1000)
    writes: list[Write] = []
    for draft in drafts:
        if draft.origin not in allowed:
            writes.append(
                Write(
                    urn=draft.origin,
                    aspect="incidentInfo",
                    action="skipped",
                    detail="outside the run's scope",
                )
            )
            continue
        writes.append(write_incident(catalog, draft, now))
    origins = [d.origin for d in drafts if d.origin in allowed]
    if origins:
        writes.append(ensure_tag(catalog))
    writes += [tag_origin(catalog, urn) for urn in origins]
    for urn in dict.fromkeys(link_targets):
        if urn not in allowed:
            writes.append(
                Write(
                    urn=urn, aspect="institutionalMemory", action="skipped", detail="outside the run's scope"
                )
            )
            continue
        writes.append(link_postmortem(catalog, urn, link_url, link_label))
    return writes


def record_writes(config: Config, run_id: str, writes: Sequence[Write]) -> None:
    """Append what this run changed to the ledger (`unchanged` entries are not ours to undo)."""
    mine = [w for w in writes if w.action in ("create", "update")]
    if not mine:
        return
    path = ledger_path(config)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        for w in mine:
            fh.write(json.dumps({"run_id": run_id, **w.model_dump(mode="json")}) + "\n")


def _ledger(config: Config) -> list[dict[str, Any]]:
    path = ledger_path(config)
    if not path.is_file():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rows.append(json.loads(line))
        except ValueError:
            continue  # a torn line from a crash: nothing to undo there
    return rows


def reset_writes(config: Config, catalog: Catalog) -> list[Write]:
    """Undo the ledger: resolve our incidents, remove the tags and links we added, then clear it."""
    rows = _ledger(config)
    done: list[Write] = []
    seen: set[tuple[str, str, str]] = set()
    for row in rows:
        key = (row["urn"], row["aspect"], row.get("detail", ""))
        if key in seen:
            continue
        seen.add(key)
        if row["aspect"] == "incidentInfo":
            done.append(_resolve(catalog, row["urn"]))
        elif row["aspect"] == "globalTags" and row.get("action") == "create":
            done.append(_untag(catalog, row["urn"], row.get("detail") or QUARANTINE_TAG))
        elif row["aspect"] == "institutionalMemory" and row.get("action") == "create":
            done.append(_unlink(catalog, row["urn"], row["detail"]))
    if rows:
        ledger_path(config).write_text("", encoding="utf-8")
    return done


def _resolve(catalog: Catalog, urn: str) -> Write:
    info = catalog.get_aspect(urn, m.IncidentInfoClass)
    if info is None or info.status.state != m.IncidentStateClass.ACTIVE:
        return Write(urn=urn, aspect="incidentInfo", action="unchanged", verified=True, detail="not active")
    now = int(time.time() * 1000)
    info.status = m.IncidentStatusClass(
        state=m.IncidentStateClass.RESOLVED,
        stage=m.IncidentStageClass.FIXED,
        message="Resolved by `oncall reset`",
        lastUpdated=_stamp(now),
    )
    catalog.emit([MetadataChangeProposalWrapper(entityUrn=urn, aspect=info)])
    after = catalog.get_aspect(urn, m.IncidentInfoClass)
    verified = after is not None and after.status.state == m.IncidentStateClass.RESOLVED
    return Write(urn=urn, aspect="incidentInfo", action="resolve", verified=verified)


def _untag(catalog: Catalog, urn: str, tag: str) -> Write:
    if not catalog.exists(urn) or tag not in catalog.get(urn).tags:
        return Write(urn=urn, aspect="globalTags", action="unchanged", verified=True, detail=tag)
    catalog.remove_tags(urn, [tag])
    return Write(
        urn=urn, aspect="globalTags", action="remove", verified=tag not in catalog.get(urn).tags, detail=tag
    )


def _unlink(catalog: Catalog, urn: str, url: str) -> Write:
    if not catalog.exists(urn) or all(link.url != url for link in catalog.get(urn).links):
        return Write(urn=urn, aspect="institutionalMemory", action="unchanged", verified=True, detail=url)
    catalog.remove_links(urn, [url])
    verified = all(link.url != url for link in catalog.get(urn).links)
    return Write(urn=urn, aspect="institutionalMemory", action="remove", verified=verified, detail=url)
