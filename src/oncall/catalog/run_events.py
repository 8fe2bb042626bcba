"""The assertion run-event feed: every run event written after a position, in write order.

The incident lifecycle reads this to learn about new FAILURE and SUCCESS runs. One function per
backend, picked by `catalog.backend`:

- **Lite**: run events are rows of `metadata_aspect_v2` (versions > 0; REFERENCE.md C2). Inserts take
  increasing rowids and SQLite commits one writer at a time, so "rowid > position" sees every event
  written since, exactly once; an identical rewrite of the last event adds no row (a natural dedupe).
  A position beyond the table's last rowid means the file was rebuilt (`oncall setup --force`): the
  feed starts again from 0.
- **GMS**: there is no global event log in GraphQL, so the feed scrolls every assertion with its run
  events since a time (`assertion_run_events.graphql`). Positions are event timestamps; the caller
  re-reads `overlap_ms` before its position because the server indexes events late, and drops
  the ones it has seen (same assertion and timestamp).
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict

from oncall.catalog.base import Catalog
from oncall.errors import CatalogError

__all__ = ["GMS_OVERLAP_MS", "RunEvent", "read_run_events"]

GMS_OVERLAP_MS = 5 * 60 * 1000
"""How far back a GMS read reaches before its position (the server's index lag, with room)."""
_GMS_PAGE = 200


class RunEvent(BaseModel):
    """One completed assertion run, as the feed saw it."""

    model_config = ConfigDict(frozen=True)

    position: int
    """Where the feed found it (Lite rowid, GMS timestamp); the next read starts after the largest."""
    assertion_urn: str
    dataset_urn: str
    timestamp_ms: int
    run_id: str
    result: str
    """SUCCESS, FAILURE, ERROR or INIT."""
    actual_value: float | None = None

    @property
    def key(self) -> tuple[str, int]:
        """Two events with this key are the same run (a rewrite, or a re-read)."""
        return self.assertion_urn, self.timestamp_ms


def read_run_events(catalog: Catalog, after: int, *, limit: int = 5000) -> tuple[list[RunEvent], int]:
    """Events written after position `after` (at most `limit`), oldest write first, and the new position.

    Raises `CatalogUnavailableError` when the catalog is down or locked (nothing is consumed then).
    """
    if catalog.backend == "lite":
        return _lite(catalog, after, limit)
    if catalog.backend == "gms":
        return _gms(catalog, after, limit)
    raise CatalogError(f"no run-event feed for the {catalog.backend!r} backend")


def _lite(catalog: Any, after: int, limit: int) -> tuple[list[RunEvent], int]:
    last = catalog._query("SELECT max(rowid) FROM metadata_aspect_v2")[0][0] or 0
    if after > last:  # the file was rebuilt: its rowids start again
        after = 0
    sql = (
        "SELECT rowid, urn, metadata FROM metadata_aspect_v2 WHERE rowid > ? "
        "AND aspect_name = 'assertionRunEvent' AND version > 0 ORDER BY rowid LIMIT ?"
    )
    rows = catalog._query(sql, (after, limit))
    events = [_event(int(rowid), urn, json.loads(meta)) for rowid, urn, meta in rows]
    if len(rows) < limit:  # read to the end: nothing up to `last` is left unseen
        return events, max(last, after)
    return events, events[-1].position


def _event(position: int, assertion: str, meta: dict[str, Any]) -> RunEvent:
    result = meta.get("result") or {}
    actual = result.get("actualAggValue")
    return RunEvent(
        position=position,
        assertion_urn=meta.get("assertionUrn") or assertion,
        dataset_urn=meta.get("asserteeUrn") or "",
        timestamp_ms=int(meta.get("timestampMillis") or 0),
        run_id=str(meta.get("runId") or ""),
        result=str(result.get("type") or "INIT"),
        actual_value=float(actual) if actual is not None else None,
    )


def _gms(catalog: Any, after: int, limit: int) -> tuple[list[RunEvent], int]:
    since = max(after - GMS_OVERLAP_MS, 0)
    events: list[RunEvent] = []
    scroll: str | None = None
    while True:
        variables = {"scrollId": scroll, "count": _GMS_PAGE, "since": since, "limit": limit}
        data = catalog._graphql("assertion_run_events", variables)["scrollAcrossEntities"] or {}
        for hit in data.get("searchResults") or []:
            events += _gms_events(hit.get("entity") or {})
        scroll = data.get("nextScrollId")
        if not scroll:
            break
    events.sort(key=lambda e: (e.timestamp_ms, e.assertion_urn))
    events = events[:limit]
    return events, max([after, *(e.position for e in events)])


def _gms_events(entity: dict[str, Any]) -> list[RunEvent]:
    info = entity.get("info") or {}
    dataset = (info.get("datasetAssertion") or {}).get("datasetUrn") or (
        info.get("customAssertion") or {}
    ).get("entityUrn")
    found = []
    for e in (entity.get("runEvents") or {}).get("runEvents") or []:
        result = e.get("result") or {}
        actual = result.get("actualAggValue")
        ts = int(e["timestampMillis"])
        found.append(
            RunEvent(
                position=ts,
                assertion_urn=entity["urn"],
                dataset_urn=e.get("asserteeUrn") or dataset or "",
                timestamp_ms=ts,
                run_id=str(e.get("runId") or ""),
                result=str(result.get("type") or "INIT"),
                actual_value=float(actual) if actual is not None else None,
            )
        )
    return found
