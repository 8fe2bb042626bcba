"""Write-back to DataHub: the Fixer's writes, each read back, and their undo.

- one `IncidentInfo` per origin, at a stable URN (`incident_urn(origin, generation)`): a re-run updates
  the origin's open incident instead of raising a second one; once it is resolved, the next run opens
  the next generation. An update keeps what people changed (status, stage, assignees, title, priority)
  and only refreshes our own description and adds entities;
- the `quarantined` tag on each origin and a link to the postmortem, both added (never replacing
  existing tags or links); a tag or link that was already there is left alone and is not ours to undo.

Every target must be in the run's scope; anything else is refused.

The ledger (`<home>/runs/writes.jsonl`) is write-ahead: an `intent` row is on disk before each write and
an outcome row after it, so a run killed between the two still leaves the write findable. `reset_writes`
undoes what the ledger names **and** what carries our marker in DataHub (incidents raised by `ACTOR`,
tag associations with context `TAG_CONTEXT`, postmortem links under `<home>/runs/postmortems/`), so a
lost or torn ledger orphans nothing; it keeps every row whose undo did not happen.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

from datahub.emitter.mcp import MetadataChangeProposalWrapper
from datahub.metadata import schema_classes as m
from pydantic import BaseModel, field_validator

from oncall.catalog.base import Catalog
from oncall.catalog.urns import ACTOR
from oncall.config import Config
from oncall.errors import CatalogError
from oncall.report.models import Write
from oncall.report.postmortem import display_name
from oncall.report.quarantine import QUARANTINE_TAG
from oncall.untrusted import clip, strip_controls

__all__ = [
    "DESCRIPTION_MARK",
    "MAX_GENERATIONS",
    "TAG_CONTEXT",
    "IncidentDraft",
    "Ledger",
    "apply_writes",
    "incident_urn",
    "ledger_path",
    "postmortem_path",
    "record_writes",
    "reset_writes",
    "write_incident",
]

DESCRIPTION_MARK = "[datahub-oncall]"
"""Our incident descriptions start with this; a description without it was edited by a person."""
TAG_CONTEXT = "datahub-oncall"
"""The context of the tag associations we add: how `reset` tells our `quarantined` tag from a person's."""
_TITLE_CHARS = 200
_DESCRIPTION_CHARS = 8000
_NAMESPACE = uuid.UUID("5d0c1f3e-8a63-4c57-9d1e-6c1b0d2a7f11")
MAX_GENERATIONS = 1000
"""Incidents one origin can have at its stable URNs (generation 0, 1, ...)."""


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

    @field_validator("title")
    @classmethod
    def _one_clean_line(cls, value: str) -> str:
        # titles may come from a model: one line, no terminal escapes, bounded
        return clip(" ".join(strip_controls(value).split()), _TITLE_CHARS)

    @field_validator("description")
    @classmethod
    def _clean_text(cls, value: str) -> str:
        return clip(strip_controls(value, keep_newlines=True), _DESCRIPTION_CHARS)


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


def _merge_info(current: dict[str, Any], draft: IncidentDraft) -> dict[str, Any]:
    """Our refresh of an open incident: add entities, refresh our own description, keep the rest.

    On the aspect's JSON form (`to_obj()`), which `current` shares (nothing in it is changed): an
    incident naming thousands of entities costs the SDK's Avro classes tens of milliseconds per copy
    or comparison, and a re-run that changes nothing should cost none of them."""
    merged = dict(current)
    merged["entities"] = list(dict.fromkeys([*current["entities"], *draft.entities]))
    if (current.get("description") or "").startswith(DESCRIPTION_MARK):
        merged["description"] = draft.description
    if current.get("source") is None and draft.source_urn:
        kind = m.IncidentSourceTypeClass.ASSERTION_FAILURE
        merged["source"] = m.IncidentSourceClass(type=kind, sourceUrn=draft.source_urn).to_obj()
    return merged


def _unchanged(current: m.IncidentInfoClass, draft: IncidentDraft) -> bool:
    """True if `_merge_info` would change nothing (decided without serialising `current`)."""
    have = current.entities
    known = set(have)
    ours = (current.description or "").startswith(DESCRIPTION_MARK)
    return (
        len(known) == len(have)  # the merge would drop a repeated entity
        and all(e in known for e in draft.entities)
        and (not ours or current.description == draft.description)
        and (current.source is not None or not draft.source_urn)
    )


def _open_slot(catalog: Catalog, origin: str) -> tuple[str, m.IncidentInfoClass | None]:
    """The URN of the origin's open incident (with its info), or of the next generation to raise.

    Read by URN from the entity store, not found through the incident search: a DataHub server
    indexes a write only after it has returned, so a search right after a run can miss its incident.
    """
    for generation in range(MAX_GENERATIONS):
        urn = incident_urn(origin, generation)
        current = catalog.get_aspect(urn, m.IncidentInfoClass)
        if current is None or current.status.state == m.IncidentStateClass.ACTIVE:
            return urn, current
    raise CatalogError(f"{origin} has {MAX_GENERATIONS} resolved incidents of ours; resolve or delete some")


def postmortem_dir_uri(config: Config) -> str:
    """The URI prefix of every postmortem link we add (the marker of our links)."""
    return (config.runs_dir / "postmortems").resolve().as_uri() + "/"


@contextlib.contextmanager
def _locked(ledger: Path) -> Iterator[None]:
    """The ledger's lock (a side file, so `reset` may replace the ledger while runs wait to append)."""
    ledger.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(ledger.with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


class Ledger:
    """Append-only, write-ahead record of one run's writes (`intent` before, outcome after).

    Each row is one `os.write` on an O_APPEND descriptor under an advisory lock: it is in the file the
    moment the call returns, so a SIGKILL right after loses nothing, and `reset` never interleaves.
    """

    def __init__(self, path: Path, run_id: str) -> None:
        self.path = path
        self.run_id = run_id

    def _append(self, row: dict[str, Any]) -> None:
        line = (json.dumps({"run_id": self.run_id, **row}) + "\n").encode()
        with _locked(self.path):
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)

    def intent(self, urn: str, aspect: str, detail: str = "") -> None:
        """About to write `aspect` of `urn`: from now on `reset` will look there."""
        self._append({"phase": "intent", "urn": urn, "aspect": aspect, "detail": detail})

    def outcome(self, write: Write) -> None:
        """What the write did, read back."""
        self._append({"phase": "done", **write.model_dump(mode="json")})


def _noted(ledger: Ledger | None, write: Write) -> Write:
    if ledger is not None:
        ledger.outcome(write)
    return write


def write_incident(
    catalog: Catalog, draft: IncidentDraft, now_ms: int, ledger: Ledger | None = None
) -> Write:
    """Create or update the origin's open incident, then read it back."""
    urn, current = _open_slot(catalog, draft.origin)
    action: Literal["create", "update", "unchanged"]
    info: m.IncidentInfoClass | None = None
    if current is None:
        info, action = _new_info(draft, now_ms), "create"
    elif _unchanged(current, draft):
        action = "unchanged"
    else:
        info, action = m.IncidentInfoClass.from_obj(_merge_info(current.to_obj(), draft)), "update"
    if ledger is not None:  # ours either way (our URN namespace): an unchanged one is still to resolve
        ledger.intent(urn, "incidentInfo", draft.origin)
    if info is not None:
        catalog.emit([MetadataChangeProposalWrapper(entityUrn=urn, aspect=info)])
    # Read back what was written; an unchanged incident was read just now
    after = catalog.get_aspect(urn, m.IncidentInfoClass) if info is not None else current
    verified = (
        after is not None
        and after.status.state == m.IncidentStateClass.ACTIVE
        and draft.origin in after.entities
    )
    write = Write(urn=urn, aspect="incidentInfo", action=action, verified=verified, detail=draft.origin)
    return _noted(ledger, write)


def ensure_tag(catalog: Catalog) -> Write:
    """The `quarantined` tag entity exists (created once, never overwritten, never undone)."""
    if catalog.get_aspect(QUARANTINE_TAG, m.TagPropertiesClass) is not None:
        return Write(urn=QUARANTINE_TAG, aspect="tagProperties", action="unchanged", verified=True)
    props = m.TagPropertiesClass(
        name="quarantined", description="Do not consume: an open data incident", colorHex="#d0021b"
    )
    catalog.emit([MetadataChangeProposalWrapper(entityUrn=QUARANTINE_TAG, aspect=props)])
    verified = catalog.get_aspect(QUARANTINE_TAG, m.TagPropertiesClass) is not None
    return Write(urn=QUARANTINE_TAG, aspect="tagProperties", action="create", verified=verified)


def tag_origin(catalog: Catalog, urn: str, ledger: Ledger | None = None) -> Write:
    """Add the `quarantined` tag; an already tagged dataset is left alone (and not ours to untag)."""
    if QUARANTINE_TAG in catalog.get(urn).tags:
        return Write(urn=urn, aspect="globalTags", action="unchanged", verified=True, detail=QUARANTINE_TAG)
    if ledger is not None:
        ledger.intent(urn, "globalTags", QUARANTINE_TAG)
    catalog.add_tags(urn, [QUARANTINE_TAG], context=TAG_CONTEXT)
    verified = QUARANTINE_TAG in catalog.get(urn).tags
    write = Write(urn=urn, aspect="globalTags", action="create", verified=verified, detail=QUARANTINE_TAG)
    return _noted(ledger, write)


def link_postmortem(catalog: Catalog, urn: str, url: str, label: str, ledger: Ledger | None = None) -> Write:
    """Add the postmortem link (same URL = the link we added on an earlier run)."""
    if any(link.url == url for link in catalog.get(urn).links):
        return Write(urn=urn, aspect="institutionalMemory", action="unchanged", verified=True, detail=url)
    if ledger is not None:
        ledger.intent(urn, "institutionalMemory", url)
    catalog.add_links(urn, [(url, label)])
    verified = any(link.url == url for link in catalog.get(urn).links)
    write = Write(urn=urn, aspect="institutionalMemory", action="create", verified=verified, detail=url)
    return _noted(ledger, write)


def apply_writes(
    catalog: Catalog,
    drafts: Sequence[IncidentDraft],
    *,
    link_targets: Sequence[str],
    link_url: str,
    link_label: str,
    scope: Iterable[str],
    now_ms: int | None = None,
    ledger: Ledger | None = None,
) -> list[Write]:
    """Every DataHub write of a run, in order, each read back. Targets outside `scope` are refused.

    With a `ledger`, each write is announced there before it is made and recorded after it.
    """
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
        writes.append(write_incident(catalog, draft, now, ledger))
    origins = [d.origin for d in drafts if d.origin in allowed]
    if origins:
        writes.append(ensure_tag(catalog))
    writes += [tag_origin(catalog, urn, ledger) for urn in origins]
    for urn in dict.fromkeys(link_targets):
        if urn not in allowed:
            writes.append(
                Write(
                    urn=urn, aspect="institutionalMemory", action="skipped", detail="outside the run's scope"
                )
            )
            continue
        writes.append(link_postmortem(catalog, urn, link_url, link_label, ledger))
    return writes


def record_writes(config: Config, run_id: str, writes: Sequence[Write]) -> None:
    """Append finished writes to the ledger (for callers that wrote without a `Ledger`).

    `unchanged` tags and links were there before us and are not ours to undo; an `unchanged` incident
    is our own open one and is kept.
    """
    ledger = Ledger(ledger_path(config), run_id)
    for w in writes:
        if w.action in ("create", "update") or (w.aspect == "incidentInfo" and w.action == "unchanged"):
            ledger.outcome(w)


def _rows(data: bytes) -> list[dict[str, Any]]:
    rows = []
    for line in data.decode("utf-8", "replace").splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue  # a torn line from a crash: the marker search still finds that write
        if isinstance(row, dict) and isinstance(row.get("urn"), str) and isinstance(row.get("aspect"), str):
            rows.append(row)
    return rows


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return b""


def _undoable(row: dict[str, Any]) -> bool:
    if row["aspect"] == "incidentInfo":
        return True
    if row["aspect"] in ("globalTags", "institutionalMemory"):
        return row.get("phase") == "intent" or row.get("action") == "create"
    return False


_Key = tuple[str, str, str]


def _key(urn: str, aspect: str, detail: str) -> _Key:
    return (urn, aspect, "" if aspect == "incidentInfo" else detail)


def _targets(config: Config, catalog: Catalog, rows: list[dict[str, Any]]) -> dict[_Key, dict[str, Any]]:
    """What to undo: the ledger's rows, then what carries our marker in DataHub."""
    targets: dict[_Key, dict[str, Any]] = {}
    for row in rows:
        if _undoable(row):
            key = _key(row["urn"], row["aspect"], str(row.get("detail") or ""))
            targets.setdefault(key, row)
    ours = catalog.open_incidents(created_by=ACTOR)
    for incident in ours:
        targets.setdefault(
            _key(incident.urn, "incidentInfo", ""), {"urn": incident.urn, "aspect": "incidentInfo"}
        )
    for urn in catalog.tagged(QUARANTINE_TAG, context=TAG_CONTEXT):
        targets.setdefault(
            _key(urn, "globalTags", QUARANTINE_TAG),
            {"urn": urn, "aspect": "globalTags", "detail": QUARANTINE_TAG},
        )
    prefix = postmortem_dir_uri(config)
    for urn in dict.fromkeys(u for incident in ours for u in incident.entities):
        with contextlib.suppress(CatalogError):
            for link in catalog.get(urn).links if catalog.exists(urn) else []:
                if link.url.startswith(prefix):
                    targets.setdefault(
                        _key(urn, "institutionalMemory", link.url),
                        {"urn": urn, "aspect": "institutionalMemory", "detail": link.url},
                    )
    return targets


def _undo(catalog: Catalog, row: dict[str, Any]) -> Write:
    urn, aspect = row["urn"], row["aspect"]
    if aspect == "incidentInfo":
        return _resolve(catalog, urn)
    if aspect == "globalTags":
        return _untag(catalog, urn, row.get("detail") or QUARANTINE_TAG)
    return _unlink(catalog, urn, row["detail"])


def reset_writes(config: Config, catalog: Catalog) -> list[Write]:
    """Undo what runs wrote: resolve our incidents, remove the tags and links we added.

    The ledger is then rewritten with only the rows whose undo failed or did not read back (plus
    anything a run appended meanwhile), so a failed reset can be retried and loses nothing.
    """
    path = ledger_path(config)
    seen = _read(path)
    done: list[Write] = []
    keep: list[dict[str, Any]] = []
    for row in _targets(config, catalog, _rows(seen)).values():
        try:
            write = _undo(catalog, row)
        except CatalogError as exc:
            write = Write(urn=row["urn"], aspect=row["aspect"], action="failed", detail=str(exc))
        done.append(write)
        if not write.verified:
            keep.append({**row, "phase": "intent"})
    if seen or keep:
        with _locked(path):
            tail = _read(path)[len(seen) :]  # rows a run appended while we undid
            tmp = path.with_suffix(".jsonl.tmp")
            tmp.write_bytes(b"".join((json.dumps(r) + "\n").encode() for r in keep) + tail)
            os.replace(tmp, path)
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
