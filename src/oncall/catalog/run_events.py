"""The assertion run-event feed: every run event written after a position, in write order.

The incident lifecycle reads this to learn about new FAILURE and SUCCESS runs, through
`Catalog.run_events` (each adapter answers it from its own storage; this module holds what both
share: the event type, the parsing of stored events, the GMS overlap):

- **Lite**: run events are rows of `metadata_aspect_v2` (versions > 0; REFERENCE.md C2). Inserts take
  increasing rowids and SQLite commits one writer at a time, so "rowid > position" sees every event
  written since, exactly once; an identical rewrite of the last event adds no row (a natural dedupe).
  A position beyond the table's last rowid means the file was rebuilt (`oncall setup --force`): the
  feed starts again from 0.
- **GMS**: there is no global event log in GraphQL, so the feed scrolls every assertion with its run
  events since a time (`assertion_run_events.graphql`). Positions are event timestamps; the caller
  re-reads `GMS_OVERLAP_MS` before its position because the server indexes events late, and drops
  the ones it has seen (same assertion and timestamp).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from oncall.catalog.types import RunEvent

if TYPE_CHECKING:
    from oncall.catalog.base import Catalog

__all__ = ["GMS_OVERLAP_MS", "GMS_PAGE", "RunEvent", "entity_events", "read_run_events", "stored_event"]

GMS_OVERLAP_MS = 5 * 60 * 1000
"""How far back a GMS read reaches before its position (the server's index lag, with room)."""
GMS_PAGE = 200
"""Assertions per GMS scroll page."""


def read_run_events(catalog: Catalog, after: int, *, limit: int = 5000) -> tuple[list[RunEvent], int]:
    """Events written after position `after` (at most `limit`), oldest write first, and the new position.

    Raises `CatalogUnavailableError` when the catalog is down or locked (nothing is consumed then).
    """
    return catalog.run_events(after, limit=limit)


def _number(value: Any) -> float | None:
    return float(value) if value is not None else None


def stored_event(position: int, assertion: str, meta: dict[str, Any]) -> RunEvent:
    """A run event from its stored `assertionRunEvent` JSON (`assertion` when the event names none)."""
    result = meta.get("result") or {}
    return RunEvent(
        position=position,
        assertion_urn=meta.get("assertionUrn") or assertion,
        dataset_urn=meta.get("asserteeUrn") or "",
        timestamp_ms=int(meta.get("timestampMillis") or 0),
        run_id=str(meta.get("runId") or ""),
        result=str(result.get("type") or "INIT"),
        actual_value=_number(result.get("actualAggValue")),
    )


def entity_events(entity: dict[str, Any]) -> list[RunEvent]:
    """The run events of one assertion entity of `assertion_run_events.graphql` (position = timestamp)."""
    info = entity.get("info") or {}
    dataset = (info.get("datasetAssertion") or {}).get("datasetUrn") or (
        info.get("customAssertion") or {}
    ).get("entityUrn")
    found = []
    for e in (entity.get("runEvents") or {}).get("runEvents") or []:
        result = e.get("result") or {}
        ts = int(e["timestampMillis"])
        found.append(
            RunEvent(
                position=ts,
                assertion_urn=entity["urn"],
                dataset_urn=e.get("asserteeUrn") or dataset or "",
                timestamp_ms=ts,
                run_id=str(e.get("runId") or ""),
                result=str(result.get("type") or "INIT"),
                actual_value=_number(result.get("actualAggValue")),
            )
        )
    return found
