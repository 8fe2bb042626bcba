"""The lifecycle's own memory: `<home>/lifecycle.db` (SQLite), one transaction per change.

It holds what DataHub cannot: the feed cursor, the newest run seen per assertion (so a duplicate or
an older, out-of-order event changes nothing), every incident the watcher opened with its timeline
and timings, and the Slack outbox. The cursor, the assertion states, the incidents and the outbox
rows of one batch commit together (`Store.commit`): a watcher killed before that commit redoes the
batch (its DataHub writes are idempotent), one killed after it has nothing to redo.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from oncall.errors import CatalogUnavailableError

__all__ = [
    "AssertionState",
    "FailingAssertion",
    "Outbox",
    "Store",
    "TimelineEntry",
    "TrackedIncident",
    "store_path",
]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS cursor (source TEXT PRIMARY KEY, position INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS assertion_state (
  assertion_urn TEXT PRIMARY KEY, dataset_urn TEXT, result TEXT, timestamp_ms INTEGER, run_id TEXT);
CREATE TABLE IF NOT EXISTS incident (
  urn TEXT PRIMARY KEY, origin TEXT NOT NULL, state TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS incident_origin ON incident (origin, state);
CREATE TABLE IF NOT EXISTS outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT, incident_urn TEXT NOT NULL, kind TEXT NOT NULL,
  text TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'pending');
"""


def store_path(home: Path) -> Path:
    """Where the lifecycle keeps its state."""
    return home / "lifecycle.db"


class AssertionState(BaseModel):
    """The newest run the watcher has seen of one assertion."""

    assertion_urn: str
    dataset_urn: str
    result: str
    timestamp_ms: int
    run_id: str


class FailingAssertion(BaseModel):
    """An assertion listed on an incident, with the run that put it there and the latest one."""

    urn: str
    dataset_urn: str
    native_type: str = ""
    first_failed_ms: int
    first_run_id: str = ""
    last_result: str = "FAILURE"
    last_run_id: str = ""
    last_ms: int = 0
    deleted: bool = False


class TimelineEntry(BaseModel):
    """One change of an incident, as the console and `incidents show` list it."""

    ts_ms: int
    state: str
    stage: str | None
    message: str
    actor: str


class TrackedIncident(BaseModel):
    """An incident the watcher opened, with what it knows beyond DataHub's IncidentInfo."""

    urn: str
    origin: str
    origin_name: str = ""
    generation: int = 0
    title: str = ""
    state: Literal["ACTIVE", "RESOLVED"] = "ACTIVE"
    stage: str | None = "TRIAGE"
    priority: int = 3
    assignees: list[str] = Field(default_factory=list)
    assertions: list[FailingAssertion] = Field(default_factory=list)
    affected: list[str] = Field(default_factory=list)
    dashboards: list[str] = Field(default_factory=list)
    paths: list[list[str]] = Field(default_factory=list)
    """Lineage paths from each failing dataset (first) to the origin (last)."""
    names: dict[str, str] = Field(default_factory=dict)
    run_ids: list[str] = Field(default_factory=list)
    """The loop runs that grouped failures into this incident."""
    first_event_ms: int = 0
    """Timestamp of the earliest failing run event (the start of time-to-open)."""
    seen_ms: int = 0
    """When the watcher read the first failing event (time-to-open from the watcher's side)."""
    opened_ms: int = 0
    acked_ms: int | None = None
    resolved_ms: int | None = None
    resolved_by: str | None = None
    """'watcher' (auto-resolved), or the URN of the person who resolved it."""
    hands_off: str | None = None
    """Why the watcher no longer writes to it (a person edited it); None while it is ours."""
    snapshot: dict[str, Any] = Field(default_factory=dict)
    """The IncidentInfo as read back after our last write (to tell a person's edit from ours)."""
    timeline: list[TimelineEntry] = Field(default_factory=list)
    slack_ts: str | None = None
    slack_channel: str | None = None
    opened_by: Literal["watcher", "run"] = "watcher"
    """'run': raised by a run (`oncall run`, MCP) and adopted when a person first changed it."""

    def failing(self) -> list[FailingAssertion]:
        """Assertions that still fail (not passing again, not deleted)."""
        return [a for a in self.assertions if a.last_result != "SUCCESS" and not a.deleted]

    def assertion(self, urn: str) -> FailingAssertion | None:
        return next((a for a in self.assertions if a.urn == urn), None)


class Outbox(BaseModel):
    """A Slack message to deliver for an incident ('post' once, then 'update' on the stored ts)."""

    id: int
    incident_urn: str
    kind: Literal["post", "update"]
    text: str
    status: Literal["pending", "sending", "done"]


class Store:
    """The lifecycle database. One watcher writes; CLI and console read (and ack/resolve) it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(path, timeout=10, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.execute("PRAGMA synchronous = FULL")
        self._conn.executescript(_SCHEMA)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _txn(self) -> Iterator[sqlite3.Connection]:
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise CatalogUnavailableError(f"the lifecycle state {self.path} is locked ({exc})") from exc
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    # ------------------------------------------------------------------ reads

    def cursor(self, source: str) -> int:
        row = self._conn.execute("SELECT position FROM cursor WHERE source = ?", (source,)).fetchone()
        return int(row[0]) if row else 0

    def assertion_states(self, urns: Iterable[str]) -> dict[str, AssertionState]:
        wanted = list(dict.fromkeys(urns))
        out: dict[str, AssertionState] = {}
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            rows = self._conn.execute(
                "SELECT assertion_urn, dataset_urn, result, timestamp_ms, run_id FROM assertion_state "
                f"WHERE assertion_urn IN ({','.join('?' * len(chunk))})",
                chunk,
            ).fetchall()
            for a, d, r, t, run in rows:
                out[a] = AssertionState(assertion_urn=a, dataset_urn=d, result=r, timestamp_ms=t, run_id=run)
        return out

    def incidents(self, *, state: str | None = None, origin: str | None = None) -> list[TrackedIncident]:
        sql = "SELECT data FROM incident WHERE 1 = 1"
        params: list[str] = []
        if state:
            sql, params = sql + " AND state = ?", [*params, state]
        if origin:
            sql, params = sql + " AND origin = ?", [*params, origin]
        found = [TrackedIncident.model_validate_json(r[0]) for r in self._conn.execute(sql, params)]
        return sorted(found, key=lambda i: (-i.opened_ms, i.urn))

    def incident(self, urn: str) -> TrackedIncident | None:
        row = self._conn.execute("SELECT data FROM incident WHERE urn = ?", (urn,)).fetchone()
        return TrackedIncident.model_validate_json(row[0]) if row else None

    def outbox(self) -> list[Outbox]:
        rows = self._conn.execute(
            "SELECT id, incident_urn, kind, text, status FROM outbox WHERE status != 'done' ORDER BY id"
        ).fetchall()
        return [Outbox(id=i, incident_urn=u, kind=k, text=t, status=s) for i, u, k, t, s in rows]

    # ------------------------------------------------------------------ writes

    def commit(
        self,
        *,
        source: str | None = None,
        position: int | None = None,
        states: Iterable[AssertionState] = (),
        incidents: Iterable[TrackedIncident] = (),
        messages: Iterable[tuple[str, str, str]] = (),
    ) -> None:
        """Everything one batch changed, in one transaction: cursor, run states, incidents, outbox."""
        with self._txn() as conn:
            if source is not None and position is not None:
                conn.execute(
                    "INSERT INTO cursor (source, position) VALUES (?, ?) "
                    "ON CONFLICT (source) DO UPDATE SET position = excluded.position",
                    (source, position),
                )
            conn.executemany(
                "INSERT INTO assertion_state VALUES (?, ?, ?, ?, ?) ON CONFLICT (assertion_urn) DO UPDATE "
                "SET dataset_urn = excluded.dataset_urn, result = excluded.result, "
                "timestamp_ms = excluded.timestamp_ms, run_id = excluded.run_id",
                [(s.assertion_urn, s.dataset_urn, s.result, s.timestamp_ms, s.run_id) for s in states],
            )
            conn.executemany(
                "INSERT INTO incident (urn, origin, state, data) VALUES (?, ?, ?, ?) ON CONFLICT (urn) "
                "DO UPDATE SET origin = excluded.origin, state = excluded.state, data = excluded.data",
                [(i.urn, i.origin, i.state, i.model_dump_json()) for i in incidents],
            )
            conn.executemany("INSERT INTO outbox (incident_urn, kind, text) VALUES (?, ?, ?)", list(messages))

    def mark(self, outbox_id: int, status: str, *, incident: TrackedIncident | None = None) -> None:
        """Move one outbox row on (and store the incident's Slack ts with it, in the same commit)."""
        with self._txn() as conn:
            conn.execute("UPDATE outbox SET status = ? WHERE id = ?", (status, outbox_id))
            if incident is not None:
                conn.execute(
                    "UPDATE incident SET data = ? WHERE urn = ?", (incident.model_dump_json(), incident.urn)
                )

    def stats_rows(self) -> list[TrackedIncident]:
        return self.incidents()


def dumps(data: Any) -> str:
    return json.dumps(data, sort_keys=True)
