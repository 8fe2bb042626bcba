"""The embedded adapter: a DataHub Lite file (acryl-datahub's SQLite engine) in the project home.

How it handles the traps measured in REFERENCE.md section C:

- **One writer.** Writes go through one `DataHubLiteLocal` instance behind a `threading.Lock`; reads use
  one read-only SQLite connection per thread, and the file runs in WAL mode so readers never wait.
- **Reverse lookups.** Lite has no relationship index; `_readmodel` keeps side tables in the same
  file, maintained by triggers, so downstreams, chart/dashboard inputs, assertions and incidents of
  an entity are indexed lookups that are correct right after any write.
- **Run events.** Timeseries aspects are stored as versions; the newest run is chosen by
  `timestampMillis` over versions > 0, never "version 0" (the last one written).
- **No PATCH.** Tags and links are read-modify-write of the full aspect under the writer lock.
- **Injection.** Every value is a bound parameter; LIKE patterns escape `%`, `_` and `\\`.
- **Close.** Lite's `close()` rebuilds the browse index (O(store)); we close the connection directly
  and rebuild that index once, after ingestion (`reindex_browse`).

Every SQL statement executed is passed to `record_query` so tool_call events show it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Literal, TypeVar

from oncall.catalog import _readmodel, assertion_info, lite_warm
from oncall.catalog import run_events as feed
from oncall.catalog.base import Direction, record_query
from oncall.catalog.graph import LineageGraph
from oncall.catalog.lite_groups import SiblingGroups
from oncall.catalog.lite_memo import Memo
from oncall.catalog.search import ParsedQuery, SearchRow, rank, tokens
from oncall.catalog.siblings import merge_entities
from oncall.catalog.types import (
    Assertion,
    AssertionRun,
    Entity,
    EntityRef,
    EntityType,
    Incident,
    LineageNode,
    Link,
    Owner,
    RunEvent,
    SchemaField,
    SearchHit,
    trusted,
)
from oncall.catalog.urns import ACTOR, InvalidUrnError, entity_type_of, in_instance, parse_urn
from oncall.errors import CatalogError, CatalogUnavailableError, NotFoundError, UserError
from oncall.gc_tuning import relaxed_collection

__all__ = ["LiteCatalog", "sqlite_config"]

log = logging.getLogger(__name__)

_ENTITY_TYPES: tuple[EntityType, ...] = ("dataset", "chart", "dashboard", "dataJob")
_SEARCHED: tuple[EntityType, ...] = ("dataset", "chart", "dashboard")
"""What a search without `types` returns (data jobs are found by asking for them)."""
_INFO_ASPECTS = ("datasetProperties", "chartInfo", "dashboardInfo", "dataJobInfo")
_EDITABLE_ASPECTS = (
    "editableDatasetProperties",
    "editableChartProperties",
    "editableDashboardProperties",
    "editableDataJobProperties",
)
_SETUP_HINT = "run `oncall setup` first"
_BATCH = 5000
"""URNs per `IN (...)` list: SQLite (3.32+) binds up to 32,766 parameters; at 100k datasets 500 a query
spent half the owners read on query overhead."""
_NOT_REMOVED = "{t}.urn NOT IN (SELECT urn FROM oncall_text WHERE field = 'removed')"
"""A SQL condition: the entity (`{t}`: the table alias) is not soft-deleted. Assertions too: stateful
ingestion soft-deletes the dbt tests a project dropped, and GMS's `assertions` leaves those out."""


T = TypeVar("T")

_FILE_LOCKS: dict[str, threading.Lock] = {}
_FILE_LOCKS_GUARD = threading.Lock()


def _file_lock(path: Path) -> threading.Lock:
    """One writer lock per Lite file in this process, shared by every catalog opened on it."""
    key = str(path.resolve())
    with _FILE_LOCKS_GUARD:
        return _FILE_LOCKS.setdefault(key, threading.Lock())


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _placeholders(n: int) -> str:
    return ",".join("?" * n)


def _chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    """Batches small enough for one `IN (...)` list."""
    for i in range(0, len(items), _BATCH):
        yield items[i : i + _BATCH]


def sqlite_config(path: str | Path, busy_timeout_ms: int = 5000) -> dict[str, Any]:
    """DataHub Lite's SQLite settings for `path`: the pragmas every writer of the file uses (WAL, so
    readers never wait; a busy timeout, so a second writer waits instead of failing at once)."""
    pragmas = {"journal_mode": "WAL", "busy_timeout": busy_timeout_ms, "synchronous": "NORMAL"}
    return {"type": "sqlite", "config": {"file": str(path), "options": pragmas}}


class LiteCatalog:
    """`Catalog` over a DataHub Lite SQLite file.

    Args:
        path: the Lite file (`config.lite_path`).
        read_only: refuse writes; no writer connection is opened.
        create: create the file if it is missing (setup does this; everyone else needs it to exist).
        busy_timeout_ms: how long a write waits for another writer before reporting the file locked.
        warm_start: when a run-sized read begins (a search, a whole lineage closure, the
            failing-assertion scan), take the reads the last handle left beside the file where still
            current, and leave this one's when closing (`lite_warm`); False reads everything afresh.
            A handle that only looks at a few entities (an entity page) never reads or writes that
            file. Off for a handle that may create the file (setup builds a temporary copy that is
            then renamed).
    """

    backend = "lite"

    def __init__(
        self,
        path: str | Path,
        *,
        read_only: bool = False,
        create: bool = False,
        busy_timeout_ms: int = 5000,
        warm_start: bool = True,
    ) -> None:
        self.path = Path(path)
        self.warm_start = warm_start and not create  # a file being built is no one's to warm
        self._warm_taken: int | None = None  # reads taken from the warm-start file (None: not asked)
        self._warm_lock = threading.Lock()
        self.read_only = read_only
        self.busy_timeout_ms = busy_timeout_ms
        self._lock = _file_lock(self.path)
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._writer: Any = None
        self._closed = False
        self._memo = Memo(self._read_generation, self._read_memo_state)
        if not self.path.exists() and not (create and not read_only):
            raise CatalogUnavailableError(f"no DataHub Lite catalog at {self.path}; {_SETUP_HINT}")
        if not create and self.path.is_file() and self.path.stat().st_size == 0:
            # SQLite would take an empty file for a new database and Lite would lay out a fresh, empty
            # catalog in it: every run would then find nothing and reset would forget its ledger.
            raise CatalogUnavailableError(
                f"the DataHub Lite catalog {self.path} is empty (0 bytes); {_SETUP_HINT}"
            )
        try:
            if not read_only:
                self._open_writer()
            self._check_file()
        except BaseException:
            self.close()
            raise

    # ----------------------------------------------------------------------------- connections

    def ingest_sink(self) -> dict[str, Any]:
        """The DataHub ingestion sink that writes into this file (same pragmas as our own writer)."""
        return {"type": "datahub-lite", "config": sqlite_config(self.path, self.busy_timeout_ms)}

    def _open_writer(self) -> None:
        from datahub.lite.lite_util import get_datahub_lite

        with self._errors("open"):
            self._writer = get_datahub_lite(sqlite_config(self.path, self.busy_timeout_ms))
            conn = self._writer_conn()
            if not _readmodel.is_installed(conn):
                _readmodel.install(conn)

    def _writer_conn(self) -> sqlite3.Connection:
        return self._writer.sqlite_client  # SqliteLite keeps its connection here

    def _check_file(self) -> None:
        conn = self._reader()
        with self._errors("open"):
            names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "metadata_aspect_v2" not in names:
            raise CatalogUnavailableError(
                f"{self.path} is not a DataHub Lite file (no aspect table); {_SETUP_HINT}"
            )
        if not _readmodel.is_installed(conn):
            # A Lite file written by someone else (e.g. `datahub ingest`): add our read model once.
            self._install_model_from_reader()

    def _install_model_from_reader(self) -> None:
        with self._errors("prepare"), contextlib.closing(sqlite3.connect(self.path, timeout=5)) as conn:
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
            _readmodel.install(conn)
            # The install rewrites every row: give back the WAL's disk (checkpointed as it grew, never
            # truncated; our reader stays open, so closing this connection would not remove it).
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _reader(self) -> sqlite3.Connection:
        if self._closed:
            raise CatalogError("the catalog is closed")
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            uri = f"{self.path.resolve().as_uri()}?mode=ro"
            with self._errors("open"):
                conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
                conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    @contextlib.contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        """Turn SQLite failures into catalog errors that say what to do."""
        try:
            yield
        except sqlite3.OperationalError as exc:
            text = str(exc)
            if "locked" in text or "busy" in text:
                raise CatalogUnavailableError(
                    f"DataHub Lite file {self.path} is locked by another writer (waited "
                    f"{self.busy_timeout_ms} ms); retry when the other oncall process has finished"
                ) from exc
            if "readonly" in text:
                raise CatalogError(f"cannot {action} {self.path}: the file is read-only ({text})") from exc
            raise CatalogUnavailableError(f"cannot {action} DataHub Lite file {self.path}: {text}") from exc
        except sqlite3.DatabaseError as exc:
            raise CatalogUnavailableError(
                f"DataHub Lite file {self.path} is corrupt or not a database ({exc}); "
                "delete it and run `oncall setup --force`"
            ) from exc

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        record_query("sql", sql, {"params": list(params)} if params else None)
        with self._errors("read"):
            return self._reader().execute(sql, params).fetchall()

    def _read_generation(self) -> str | None:
        with self._errors("read"):
            row = self._reader().execute("SELECT value FROM oncall_meta WHERE key = 'generation'").fetchone()
        return row[0] if row else None

    def _read_memo_state(self) -> tuple[str | None, dict[str, str]]:
        """The generation and the per-aspect write tokens, from one statement (one snapshot)."""
        with self._errors("read"):
            rows = (
                self._reader()
                .execute("SELECT key, value FROM oncall_meta WHERE key = 'generation' OR key GLOB 'aspect:*'")
                .fetchall()
            )
        found = dict(rows)
        generation = found.pop("generation", None)
        return generation, {k.removeprefix("aspect:"): v for k, v in found.items()}

    def _memoized(self, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
        """`compute()` once until a write (by anyone) changes an aspect its kind, `key[0]`, reads
        (`lite_memo.DEPENDS`)."""
        return self._memo.one(key, compute)

    def _memoized_many(
        self, kind: tuple[Any, ...], keys: Sequence[str], compute: Callable[[list[str]], dict[str, T]]
    ) -> dict[str, T]:
        """`_memoized` for many keys at once: `compute(missing)` reads only those not remembered."""
        return self._memo.many(kind, keys, compute)

    # ----------------------------------------------------------------------------- reads

    def exists(self, urn: str) -> bool:
        """True if `urn` has any current aspect and is not soft-deleted."""
        return self._memoized(("exists", urn), lambda: self._exists(urn))

    def _exists(self, urn: str) -> bool:
        rows = self._query(
            "SELECT aspect_name, json_extract(metadata, '$.removed') FROM metadata_aspect_v2 "
            "WHERE urn = ? AND version = 0",
            (urn,),
        )
        if not rows:
            return False
        return not any(name == "status" and removed == 1 for name, removed in rows)

    def _require(self, urn: str) -> None:
        parse_urn(urn)
        if not self.exists(urn):
            raise NotFoundError(f"{urn} is not in the catalog; find URNs with `oncall catalog search`")

    def get(self, urn: str) -> Entity:
        """The entity page of `urn` (NotFoundError if unknown); a sibling group reads as one entity."""
        found = self.get_many([urn]).get(urn)
        if found is None:
            raise NotFoundError(f"{urn} is not in the catalog; find URNs with `oncall catalog search`")
        return found

    def get_many(self, urns: Sequence[str]) -> dict[str, Entity]:
        """`get` of many URNs with a few queries per batch of `_BATCH`; unknown URNs are left out."""
        wanted = list(dict.fromkeys(urns))
        for urn in wanted:
            parse_urn(urn)
        found = self._memoized_many(("get",), wanted, self._get_many)
        return {u: e for u in wanted if (e := found[u]) is not None}

    def _get_many(self, urns: list[str]) -> dict[str, Entity | None]:
        groups = self._groups(urns)
        members = {u: groups.members(u) for u in urns}
        pages = self._pages(sorted({m for ms in members.values() for m in ms}))
        out: dict[str, Entity | None] = {}
        for urn, ms in members.items():
            have = {m: pages[m] for m in ms if m in pages}
            out[urn] = self._merged(urn, ms, have, groups) if have else None
        return out

    def describe_many(self, urns: Sequence[str]) -> dict[str, Entity]:
        """The pages themselves: they are local reads, and remembered for the run that follows."""
        return self.get_many(urns)

    def owners_many(self, urns: Sequence[str]) -> dict[str, list[str]]:
        """Owners straight from the `ownership` aspects (SQLite unpacks the lists), one query per `_BATCH`."""
        wanted = list(dict.fromkeys(urns))
        found = self._memoized_many(("owners",), wanted, self._owners)
        return {u: list(found[u]) for u in wanted}

    def _owners(self, urns: list[str]) -> dict[str, list[str]]:
        groups = self._groups(urns)
        members = {u: groups.members(u) for u in urns}
        owned: dict[str, list[str]] = {}
        removed: set[str] = set()
        for chunk in _chunks(sorted({m for ms in members.values() for m in ms})):
            marks = _placeholders(len(chunk))
            for urn, owner in self._query(
                "SELECT a.urn, json_extract(o.value, '$.owner') FROM metadata_aspect_v2 a, "
                "json_each(a.metadata, '$.owners') o WHERE a.aspect_name = 'ownership' AND a.version = 0 "
                f"AND a.urn IN ({marks}) ORDER BY a.urn, o.key",
                chunk,
            ):
                owned.setdefault(urn, []).append(owner)
            rows = self._query(
                f"SELECT urn FROM oncall_text WHERE field = 'removed' AND urn IN ({marks})", chunk
            )
            removed.update(r[0] for r in rows)
        out = {}
        for urn, ms in members.items():
            rep = groups.rep(urn)
            ordered = sorted((m for m in ms if m not in removed), key=lambda m: (m != rep, m))
            out[urn] = list(dict.fromkeys(o for m in ordered for o in owned.get(m, [])))
        return out

    def _merged(
        self, urn: str, members: list[str], pages: dict[str, Entity], groups: SiblingGroups
    ) -> Entity:
        """The sibling group of `urn` as one entity: the representative's page with the others' merged."""
        rep = groups.rep(urn)
        ordered = sorted(pages, key=lambda m: (m != rep, m))
        base = pages[ordered[0]].model_copy(update={"urn": rep})
        merged = merge_entities(base, [pages[m] for m in ordered[1:]])
        groups.load([*merged.inputs, *merged.outputs])
        return merged.model_copy(
            update={
                "siblings": [m for m in members if m != rep],
                "inputs": list(dict.fromkeys(groups.rep(u) for u in merged.inputs)),
                "outputs": list(dict.fromkeys(groups.rep(u) for u in merged.outputs)),
            }
        )

    def _pages(self, urns: Sequence[str]) -> dict[str, Entity]:
        """The pages of these URNs as stored (absent and soft-deleted ones left out), in bulk."""
        aspects: dict[str, dict[str, Any]] = {}
        for chunk in _chunks(urns):
            rows = self._query(
                "SELECT urn, aspect_name, metadata FROM metadata_aspect_v2 WHERE version = 0 "
                f"AND urn IN ({_placeholders(len(chunk))})",
                chunk,
            )
            for urn, name, meta in rows:
                aspects.setdefault(urn, {})[name] = json.loads(meta)
        live = [u for u in urns if u in aspects and not (aspects[u].get("status") or {}).get("removed")]
        incidents = self._active_incidents(live)
        return {u: self._entity(u, aspects[u], incidents.get(u, [])) for u in live}

    def _active_incidents(self, urns: Sequence[str]) -> dict[str, list[Incident]]:
        """`incidents(u, state="ACTIVE")` of every URN, in bulk."""
        out: dict[str, list[Incident]] = {}
        for chunk in _chunks(urns):
            rows = self._query(
                "SELECT e.target, a.urn, a.metadata FROM oncall_edge e JOIN metadata_aspect_v2 a "
                "ON a.urn = e.urn AND a.aspect_name = 'incidentInfo' AND a.version = 0 "
                f"WHERE e.target IN ({_placeholders(len(chunk))}) AND e.kind = 'incident' "
                "AND json_extract(a.metadata, '$.status.state') = 'ACTIVE'",
                chunk,
            )
            for target, urn, meta in rows:
                out.setdefault(target, []).append(_incident(urn, json.loads(meta)))
        return {u: sorted(found, key=lambda i: (-(i.created_ms or 0), i.urn)) for u, found in out.items()}

    def _entity(self, urn: str, aspects: dict[str, Any], incidents: list[Incident]) -> Entity:
        """The page of one URN from its current aspects."""
        parts = parse_urn(urn)
        info: dict[str, Any] = next((aspects[a] for a in _INFO_ASPECTS if aspects.get(a)), {})
        editable: dict[str, Any] = next((aspects[a] for a in _EDITABLE_ASPECTS if aspects.get(a)), {})
        io = aspects.get("dataJobInputOutput") or {}
        return Entity(
            **self._ref_fields(urn, aspects),
            description=editable.get("description") or info.get("description"),
            fields=_fields(aspects.get("schemaMetadata")),
            owners=[
                Owner(urn=o["owner"], type=str(o.get("type") or "DATAOWNER"))
                for o in (aspects.get("ownership") or {}).get("owners", [])
            ],
            tags=[t["tag"] for t in (aspects.get("globalTags") or {}).get("tags", [])],
            terms=[t["urn"] for t in (aspects.get("glossaryTerms") or {}).get("terms", [])],
            links=[
                Link(url=e["url"], label=e.get("description") or e["url"])
                for e in (aspects.get("institutionalMemory") or {}).get("elements", [])
            ],
            incidents=incidents,
            inputs=_inputs(parts.entity_type, info)
            if parts.entity_type != "dataJob"
            else _job_io(io, "input"),
            outputs=_job_io(io, "output"),
            view_logic=(aspects.get("viewProperties") or {}).get("viewLogic"),
        )

    def _ref_fields(self, urn: str, aspects: dict[str, Any]) -> dict[str, Any]:
        parts = parse_urn(urn)
        info: dict[str, Any] = next((aspects[a] for a in _INFO_ASPECTS if aspects.get(a)), {})
        subtypes = (aspects.get("subTypes") or {}).get("typeNames") or []
        dpi = (aspects.get("dataPlatformInstance") or {}).get("instance")
        return {
            "urn": urn,
            "type": parts.entity_type,
            "name": info.get("name") or info.get("title") or parts.short_name,
            "platform": parts.platform,
            "instance": _instance_id(dpi),  # from the aspect only: a name never implies an instance
            "subtype": subtypes[0] if subtypes else _default_subtype(parts.entity_type),
        }

    def _refs(self, urns: Iterable[str], groups: SiblingGroups | None = None) -> dict[str, EntityRef]:
        """EntityRefs for many URNs with one query per batch (ghost URNs get names from the URN).

        With `groups`, each ref lists the siblings merged into it (remembered until a write changes
        names or siblings).
        """
        if groups is None:
            return {u: ref for u, ref in self._read_refs(urns, None).items() if ref is not None}
        found = self._memoized_many(("ref",), list(dict.fromkeys(urns)), lambda m: self._read_refs(m, groups))
        return {u: ref for u, ref in found.items() if ref is not None}

    def _read_refs(self, urns: Iterable[str], groups: SiblingGroups | None) -> dict[str, EntityRef | None]:
        asked = list(dict.fromkeys(urns))
        wanted = [u for u in asked if entity_type_of(u) in _ENTITY_TYPES]
        texts: dict[str, dict[str, str]] = {u: {} for u in wanted}
        for i in range(0, len(wanted), _BATCH):
            chunk = wanted[i : i + _BATCH]
            rows = self._query(
                f"SELECT urn, field, text FROM oncall_text WHERE urn IN ({_placeholders(len(chunk))}) "
                "AND field IN ('name', 'subtype', 'instance')",
                chunk,
            )
            for urn, field, text in rows:
                texts[urn].setdefault(field, text)
        refs: dict[str, EntityRef | None] = dict.fromkeys(asked)  # None: not an entity `lineage` lists
        if groups is not None:
            groups.load(wanted)
        for urn in wanted:
            try:
                parts = parse_urn(urn)
            except InvalidUrnError:
                continue
            t = texts[urn]
            # Built from our own read model's rows, already of the right types (9k at a time).
            refs[urn] = trusted(
                EntityRef,
                urn=urn,
                type=parts.entity_type,
                name=t.get("name") or parts.short_name,
                platform=parts.platform,
                instance=_instance_id(t.get("instance")),
                subtype=t.get("subtype") or _default_subtype(parts.entity_type),
                siblings=[m for m in groups.members(urn) if m != urn] if groups else [],
            )
        return refs

    def _groups(self, urns: Iterable[str] = ()) -> SiblingGroups:
        """The sibling groups (one instance until a `siblings` write), with those of `urns` loaded."""
        return self._memoized(
            ("groups",), lambda: SiblingGroups(self._sibling_edges, self._all_sibling_edges)
        ).load(urns)

    def _all_sibling_edges(self) -> list[tuple[str, str, str]]:
        return self._query(
            "SELECT urn, kind, target FROM oncall_edge "
            "WHERE kind IN ('sibling', 'sibling_primary', 'sibling_secondary')"
        )

    def _sibling_edges(self, urns: Sequence[str]) -> list[tuple[str, str, str]]:
        rows: list[tuple[str, str, str]] = []
        for chunk in _chunks(urns):
            marks = _placeholders(len(chunk))
            rows += self._query(
                f"SELECT urn, kind, target FROM oncall_edge WHERE urn IN ({marks}) "
                "AND kind IN ('sibling', 'sibling_primary', 'sibling_secondary') UNION ALL "
                f"SELECT urn, kind, target FROM oncall_edge WHERE target IN ({marks}) AND kind = 'sibling'",
                [*chunk, *chunk],
            )
        return rows

    def search(
        self,
        text: str,
        *,
        types: Sequence[EntityType] | None = None,
        instance: str | None = None,
        limit: int = 20,
    ) -> list[SearchHit]:
        """Ranked free-text search; see `oncall.catalog.search` for the scoring."""
        query = tokens(text)
        if not query.words and not query.type_words and not query.urn:
            return []
        where, params = self._search_filters(types, instance)
        self._warm()  # a run's first read: its hits' groups come from the file too
        key = ("search_rows", query.urn, query.words, where, tuple(params))
        by_urn = self._memoized(key, lambda: self._search_rows(query, where, params))
        groups = self._groups([*by_urn, *([query.urn] if query.urn else [])])
        merged: dict[str, list[SearchRow]] = {}
        for urn, found in by_urn.items():
            merged.setdefault(groups.rep(urn), []).extend(found)
        refs = self._refs(merged, groups)
        if query.urn:  # the URN of a sibling names the merged node
            query = dataclasses.replace(query, urn=groups.rep(query.urn))
        return rank(query, {u: (refs[u], r) for u, r in merged.items() if u in refs}, limit)

    def _search_rows(self, query: ParsedQuery, where: str, params: list[Any]) -> dict[str, list[SearchRow]]:
        """Every searchable text of the entities matching the query's words (or URN), with their
        siblings' texts. Remembered per words and filters: the Detective's searches of one incident
        repeat their words (the whole text, then each word), and each read scans the text table."""
        if query.urn:
            match, match_params = "t.urn = ?", [query.urn]
        elif query.words:
            # LIKE is ASCII case-insensitive in SQLite, as lower() is ASCII-only: no lower() per row
            likes = " OR ".join("m.text LIKE ? ESCAPE '\\' OR m.urn LIKE ? ESCAPE '\\'" for _ in query.words)
            # `+m.field`: these fields are nearly every row, so a scan beats the field index (0.13 s
            # against 0.18-0.27 s over 190k rows)
            match = (
                "t.urn IN (SELECT m.urn FROM oncall_text m WHERE +m.field IN "
                f"('name', 'description', 'column', 'tag', 'term', 'subtype') AND ({likes}))"
            )
            match_params = [f"%{_like_escape(w)}%" for w in query.words for _ in (1, 2)]
        else:
            match, match_params = "1 = 1", []
        rows = self._query(
            f"SELECT t.urn, t.field, t.text FROM oncall_text t WHERE {match}{where} "
            f"AND {_NOT_REMOVED.format(t='t')}",
            [*match_params, *params],
        )
        by_urn: dict[str, list[SearchRow]] = {}
        for urn, field, value in rows:
            by_urn.setdefault(urn, []).append(SearchRow(field, value))
        groups = self._groups(by_urn)
        missing = [m for u in by_urn for m in groups.members(u) if m not in by_urn]
        for i in range(0, len(missing), _BATCH):  # a sibling's words count for the merged node too
            chunk = missing[i : i + _BATCH]
            for urn, field, value in self._query(
                f"SELECT urn, field, text FROM oncall_text WHERE urn IN ({_placeholders(len(chunk))})", chunk
            ):
                by_urn.setdefault(urn, []).append(SearchRow(field, value))
        return by_urn

    def _search_filters(
        self, types: Sequence[EntityType] | None, instance: str | None
    ) -> tuple[str, list[Any]]:
        wanted = list(types) if types else list(_SEARCHED)
        unknown = set(wanted) - set(_ENTITY_TYPES)
        if unknown:
            raise UserError(
                f"unknown entity type(s) {sorted(unknown)}; use dataset, chart, dashboard or dataJob"
            )
        clauses = " OR ".join("t.urn LIKE ?" for _ in wanted)
        sql = f" AND ({clauses})"
        params: list[Any] = [f"urn:li:{t}:%" for t in wanted]
        if instance:
            sql += (
                " AND t.urn IN (SELECT i.urn FROM oncall_text i WHERE i.field = 'instance' "
                "AND i.text LIKE ? ESCAPE '\\')"
            )
            params.append(f"%,{_like_escape(instance)})")
        return sql, params

    def lineage(
        self, urn: str, *, direction: Direction = "upstream", hops: int | None = None
    ) -> list[LineageNode]:
        """Breadth-first walk over lineage, data-job and chart/dashboard input edges, one level per step.

        Sibling groups are single nodes: a node's neighbours are those of all its members (dbt lineage
        sits on the dbt model, warehouse lineage on the table), mapped to their groups.
        """
        if direction not in ("upstream", "downstream"):
            raise UserError(f"direction must be 'upstream' or 'downstream', not {direction!r}")
        self._require(urn)
        if hops is None:  # a whole closure: a run's read (a page's one hop is not worth the file)
            self._warm()
        return list(
            self._memoized(("lineage", urn, direction, hops), lambda: self._walk(urn, direction, hops))
        )

    def _walk(self, urn: str, direction: Direction, hops: int | None) -> list[LineageNode]:
        groups = self._groups([urn])
        start = groups.rep(urn)
        paths: dict[str, list[str]] = {start: [start]}
        frontier = [start]
        depth = 0
        while frontier and (hops is None or depth < hops):
            depth += 1
            members = {m: rep for rep in frontier for m in groups.members(rep)}
            pairs = self._adjacent(sorted(members), direction)
            groups.load(dst for _, dst in pairs)
            nxt: list[str] = []
            for src, dst in pairs:
                near, far = members[src], groups.rep(dst)
                if far not in paths:
                    paths[far] = [*paths[near], far]
                    nxt.append(far)
            frontier = sorted(nxt)
        reached = [u for u in paths if u != start]
        refs = self._refs(reached, groups)
        nodes = [
            LineageNode(ref=refs[u], hops=len(paths[u]) - 1, path=paths[u]) for u in reached if u in refs
        ]
        return sorted(nodes, key=lambda n: (n.hops, n.ref.urn))

    def lineage_graph(self, urns: Sequence[str], *, direction: Direction = "upstream") -> LineageGraph:
        """One breadth-first walk from all of `urns` at once: each node's edges are read once, in
        batches of `_BATCH` per level, whatever number of starts reach it."""
        if direction not in ("upstream", "downstream"):
            raise UserError(f"direction must be 'upstream' or 'downstream', not {direction!r}")
        wanted = list(dict.fromkeys(urns))
        for urn in wanted:
            self._require(urn)
        self._warm()
        return self._memoized(
            ("lineage_graph", tuple(sorted(wanted)), direction), lambda: self._graph(wanted, direction)
        )

    def _graph(self, urns: list[str], direction: Direction) -> LineageGraph:
        groups = self._groups(urns)
        graph = LineageGraph(direction=direction, starts={u: groups.rep(u) for u in urns})
        frontier = sorted(set(graph.starts.values()))
        while frontier:
            members = {m: rep for rep in frontier for m in groups.members(rep)}
            found: dict[str, dict[str, None]] = {rep: {} for rep in frontier}
            pairs = self._adjacent(sorted(members), direction)
            groups.load(dst for _, dst in pairs)
            for src, dst in pairs:
                near, far = members[src], groups.rep(dst)
                if far != near:
                    found[near][far] = None
            graph.edges.update({rep: list(far) for rep, far in found.items()})
            frontier = sorted({f for far in found.values() for f in far if f not in graph.edges})
        graph.refs = self._refs(graph.edges, groups)
        return graph

    def _adjacent(self, urns: list[str], direction: Direction) -> list[tuple[str, str]]:
        """`_neighbours`, each URN's read once until a lineage write: later walks over the same part of the
        graph (the Detective's, then the origin test's) cost no query."""

        def read(missing: list[str]) -> dict[str, list[str]]:
            found = _by_source(self._neighbours(missing, direction))
            return {u: found.get(u, []) for u in missing}  # a node with none is remembered too

        found = self._memoized_many(("adjacent", direction), urns, read)
        return [(u, far) for u in sorted(urns) for far in found.get(u, ())]

    def _neighbours(self, urns: list[str], direction: Direction) -> list[tuple[str, str]]:
        """(one of `urns`, its neighbour) pairs; a data job reads its inputs and `produces` its outputs."""
        near, far = ("urn", "target") if direction == "upstream" else ("target", "urn")
        pairs: list[tuple[str, str]] = []
        for i in range(0, len(urns), _BATCH):
            chunk = urns[i : i + _BATCH]
            marks = _placeholders(len(chunk))
            pairs += self._query(
                f"SELECT {near}, {far} FROM oncall_edge WHERE kind IN ('lineage', 'input') "
                f"AND {near} IN ({marks}) UNION SELECT {far}, {near} FROM oncall_edge "
                f"WHERE kind = 'produces' AND {far} IN ({marks}) ORDER BY 1, 2",
                [*chunk, *chunk],
            )
        return pairs

    def twin(self, urn: str, instance: str | None) -> str | None:
        """The same table/chart/dashboard in `instance` (None: no instance), if the catalog has it."""
        ref = self._refs([urn]).get(urn)
        other = in_instance(urn, instance, current=ref.instance if ref else None)
        return other if other is not None and self.exists(other) else None

    def assertions(self, dataset_urn: str, *, history: int = 20) -> list[Assertion]:
        """Assertions on a node (every member of its sibling group) with their newest `history` runs.

        Each is filed under the group's URN; see `oncall.catalog.assertion_info` for the mapping.
        """
        return self.assertions_many([dataset_urn], history=history)[dataset_urn]

    def assertions_many(
        self, dataset_urns: Sequence[str], *, history: int = 20
    ) -> dict[str, list[Assertion]]:
        """`assertions` of many nodes: one query per `_BATCH` members for the assertions, one per `_BATCH`
        assertions for their runs."""
        wanted = list(dict.fromkeys(dataset_urns))
        found = self._memoized_many(
            ("assertions", history), wanted, lambda missing: self._read_assertions(missing, history)
        )
        return {u: list(found[u]) for u in wanted}

    def _read_assertions(self, dataset_urns: list[str], history: int) -> dict[str, list[Assertion]]:
        groups = self._groups(dataset_urns)
        members = {u: groups.members(u) for u in dataset_urns}
        rows: dict[str, list[tuple[str, str, str | None]]] = {}
        for chunk in _chunks(sorted({m for ms in members.values() for m in ms})):
            for target, urn, meta, platform in self._query(
                "SELECT e.target, a.urn, a.metadata, json_extract(p.metadata, '$.platform') "
                "FROM oncall_edge e JOIN metadata_aspect_v2 a ON a.urn = e.urn "
                "AND a.aspect_name = 'assertionInfo' AND a.version = 0 "
                "LEFT JOIN metadata_aspect_v2 p ON p.urn = a.urn AND p.aspect_name = 'dataPlatformInstance' "
                f"AND p.version = 0 WHERE e.target IN ({_placeholders(len(chunk))}) AND e.kind = 'asserts' "
                f"AND {_NOT_REMOVED.format(t='a')}",
                chunk,
            ):
                rows.setdefault(target, []).append((urn, meta, platform))
        runs = self._runs(sorted({r[0] for found in rows.values() for r in found}), history)
        out: dict[str, list[Assertion]] = {}
        for dataset_urn, ms in members.items():
            node = groups.rep(dataset_urn)
            found = [
                assertion_info.assertion(
                    u, json.loads(meta), runs.get(u, []), dataset_urn=node, platform=_platform_id(platform)
                )
                for u, meta, platform in sorted((r for m in ms for r in rows.get(m, [])), key=lambda r: r[0])
            ]
            found = assertion_info.resolve_references(found, lambda a, name: self._named(a, name, groups))
            out[dataset_urn] = assertion_info.mark_stale(found)
        return out

    def failing_assertions(self, instance: str | None = None) -> dict[str, list[str]]:
        """Assertions whose latest run fails, from the read model's latest-run table (one indexed query)."""
        self._warm()
        return dict(self._memoized(("failing", instance), lambda: self._failing(instance)))

    def _failing(self, instance: str | None) -> dict[str, list[str]]:
        rows = self._query(
            "SELECT e.target, r.urn FROM oncall_run r JOIN oncall_edge e ON e.urn = r.urn "
            f"AND e.kind = 'asserts' WHERE r.result = 'FAILURE' AND {_NOT_REMOVED.format(t='r')}"
        )
        groups = self._groups(target for target, _ in rows)
        by_node: dict[str, set[str]] = {}
        for target, urn in rows:
            by_node.setdefault(groups.rep(target), set()).add(urn)
        listed = self._listed("dataset", instance, among=sorted(by_node))
        return {node: sorted(by_node[node]) for node in listed}

    def _named(self, near: str, name: str, groups: SiblingGroups) -> str | None:
        """The dataset called `name` that an FK check on `near` refers to, as its group's URN."""
        rows = self._query(
            "SELECT DISTINCT urn FROM oncall_text WHERE field = 'name' AND lower(text) = lower(?) "
            "AND urn LIKE 'urn:li:dataset:%' ORDER BY urn",
            (name,),
        )
        found = assertion_info.closest([r[0] for r in rows], near)
        return groups.load([found]).rep(found) if found else None

    def _runs(self, assertion_urns: list[str], history: int) -> dict[str, list[AssertionRun]]:
        out: dict[str, list[AssertionRun]] = {}
        if history <= 0:
            return out
        for i in range(0, len(assertion_urns), _BATCH):
            chunk = assertion_urns[i : i + _BATCH]
            # Versions > 0 hold every event; a rewrite of the same timestamp keeps its newest version.
            rows = self._query(
                "SELECT urn, metadata FROM (SELECT urn, metadata, ts, ROW_NUMBER() OVER "
                "(PARTITION BY urn ORDER BY ts DESC) AS rn FROM (SELECT urn, metadata, "
                "json_extract(metadata, '$.timestampMillis') AS ts, ROW_NUMBER() OVER (PARTITION BY urn, "
                "json_extract(metadata, '$.timestampMillis') ORDER BY version DESC) AS dup "
                "FROM metadata_aspect_v2 WHERE aspect_name = 'assertionRunEvent' AND version > 0 "
                f"AND urn IN ({_placeholders(len(chunk))})) WHERE dup = 1) "
                "WHERE rn <= ? ORDER BY urn, ts DESC",
                [*chunk, history],
            )
            for urn, meta in rows:
                out.setdefault(urn, []).append(assertion_info.run(json.loads(meta)))
        return out

    def incidents(self, urn: str, *, state: Literal["ACTIVE", "RESOLVED"] | None = None) -> list[Incident]:
        """Incidents naming `urn`, newest first."""
        sql = (
            "SELECT a.urn, a.metadata FROM oncall_edge e JOIN metadata_aspect_v2 a "
            "ON a.urn = e.urn AND a.aspect_name = 'incidentInfo' AND a.version = 0 "
            "WHERE e.target = ? AND e.kind = 'incident'"
        )
        params: list[Any] = [urn]
        if state:
            sql += " AND json_extract(a.metadata, '$.status.state') = ?"
            params.append(state)
        found = [_incident(u, json.loads(m)) for u, m in self._query(sql, params)]
        return sorted(found, key=lambda i: (-(i.created_ms or 0), i.urn))

    def tagged(self, tag_urn: str, *, context: str | None = None) -> list[str]:
        """URNs whose current globalTags hold `tag_urn` (with that context when given)."""
        sql = (
            "SELECT DISTINCT a.urn FROM metadata_aspect_v2 a, json_each(a.metadata, '$.tags') t "
            "WHERE a.aspect_name = 'globalTags' AND a.version = 0 AND json_extract(t.value, '$.tag') = ?"
        )
        params: list[Any] = [tag_urn]
        if context is not None:
            sql += " AND json_extract(t.value, '$.context') = ?"
            params.append(context)
        return [r[0] for r in self._query(sql + " ORDER BY a.urn", params)]

    def open_incidents(self, *, created_by: str | None = None) -> list[Incident]:
        """Every ACTIVE incident (raised by `created_by` when given), newest first."""
        return self._find_incidents("ACTIVE", created_by)

    def all_incidents(self, *, state: Literal["ACTIVE", "RESOLVED"] | None = None) -> list[Incident]:
        """Every incident (in `state` when given), newest first: one query."""
        return self._find_incidents(state, None)

    def _find_incidents(self, state: str | None, created_by: str | None) -> list[Incident]:
        sql = (
            "SELECT urn, metadata FROM metadata_aspect_v2 WHERE aspect_name = 'incidentInfo' AND version = 0"
        )
        params: list[Any] = []
        if state is not None:
            sql += " AND json_extract(metadata, '$.status.state') = ?"
            params.append(state)
        if created_by is not None:
            sql += " AND json_extract(metadata, '$.created.actor') = ?"
            params.append(created_by)
        found = [_incident(u, json.loads(m)) for u, m in self._query(sql, params)]
        return sorted(found, key=lambda i: (-(i.created_ms or 0), i.urn))

    def run_events(self, after: int, *, limit: int = 5000) -> tuple[list[RunEvent], int]:
        """Run events by rowid (see `oncall.catalog.run_events`): rowid > `after`, in write order."""
        last = self._query("SELECT max(rowid) FROM metadata_aspect_v2")[0][0] or 0
        if after > last:  # the file was rebuilt: its rowids start again
            after = 0
        rows = self._query(
            "SELECT rowid, urn, metadata FROM metadata_aspect_v2 WHERE rowid > ? "
            "AND aspect_name = 'assertionRunEvent' AND version > 0 ORDER BY rowid LIMIT ?",
            (after, limit),
        )
        events = [feed.stored_event(int(rowid), urn, json.loads(meta)) for rowid, urn, meta in rows]
        if len(rows) < limit:  # read to the end: nothing up to `last` is left unseen
            return events, max(last, after)
        return events, events[-1].position

    def get_aspect(self, urn: str, aspect: type[Any]) -> Any | None:
        """The current aspect as its SDK class (timeseries: the newest event by timestamp)."""
        from datahub.emitter.serialization_helper import post_json_transform

        name = aspect.ASPECT_NAME
        if aspect.get_aspect_type() == "timeseries":
            sql = (
                "SELECT metadata FROM metadata_aspect_v2 WHERE urn = ? AND aspect_name = ? AND version > 0 "
                "ORDER BY json_extract(metadata, '$.timestampMillis') DESC, version DESC LIMIT 1"
            )
        else:
            sql = "SELECT metadata FROM metadata_aspect_v2 WHERE urn = ? AND aspect_name = ? AND version = 0"
        rows = self._query(sql, (urn, name))
        return aspect.from_obj(post_json_transform(json.loads(rows[0][0]))) if rows else None

    def list_urns(
        self,
        entity_type: EntityType | None = None,
        instance: str | None = None,
        *,
        at_most: int | None = None,
    ) -> list[str]:
        """Every URN of a type (and instance), sorted; `at_most` + 1 of them at most (a local listing
        costs little, so it is read whole and cut)."""
        listed = self._memoized(("list", entity_type, instance), lambda: self._listed(entity_type, instance))
        return list(listed if at_most is None else listed[: at_most + 1])

    def entities_version(self) -> str | None:
        """The file's epoch and its read model's entity counter (see `_readmodel`)."""
        rows = dict(self._query("SELECT key, value FROM oncall_meta WHERE key IN ('epoch', 'entities')"))
        return f"lite:{rows['epoch']}:{rows['entities']}" if len(rows) == 2 else None

    def _listed(
        self, entity_type: EntityType | None, instance: str | None, among: Sequence[str] | None = None
    ) -> list[str]:
        """`list_urns`, or the part of it among some URNs (one query per `_BATCH` of them)."""
        where, params = self._search_filters([entity_type] if entity_type else None, instance)
        sql = (
            f"SELECT DISTINCT t.urn FROM oncall_text t WHERE t.field = 'name'{where} "
            f"AND {_NOT_REMOVED.format(t='t')}"
        )
        if among is None:
            rows = self._query(sql + " ORDER BY t.urn", params)
        else:
            rows = []
            for chunk in _chunks(among):
                rows += self._query(f"{sql} AND t.urn IN ({_placeholders(len(chunk))})", [*params, *chunk])
        groups = self._groups().load_all() if among is None else self._groups(r[0] for r in rows)
        return sorted(r[0] for r in rows if not groups.is_secondary(r[0]))

    def ping(self) -> dict[str, Any]:
        """Lite answers when its file opens and reads; reports the SDK version and size."""
        from datahub import __version__

        rows = self._query("SELECT count(DISTINCT urn) FROM metadata_aspect_v2 WHERE version = 0")
        return {
            "ok": True,
            "backend": "lite",
            "version": f"acryl-datahub {__version__} (DataHub Lite, sqlite)",
            "location": str(self.path),
            "entities": rows[0][0],
        }

    # ----------------------------------------------------------------------------- writes

    def _check_writable(self) -> None:
        if self.read_only or self._writer is None:
            raise CatalogError(f"the catalog at {self.path} was opened read-only; open it for writing")
        if self._closed:
            raise CatalogError("the catalog is closed")

    def emit(self, mcps: Iterable[Any]) -> None:
        """Write full-aspect MCPs; all are validated before the first one is written."""
        from datahub.emitter.mcp import MetadataChangeProposalWrapper

        batch = list(mcps)
        for mcp in batch:
            if not isinstance(mcp, MetadataChangeProposalWrapper):
                raise CatalogError(
                    f"DataHub Lite accepts only full-aspect MCPs (MetadataChangeProposalWrapper), not "
                    f"{type(mcp).__name__}; PATCH proposals need a DataHub server"
                )
            if not mcp.validate():
                raise CatalogError(f"invalid MCP for {mcp.entityUrn} ({mcp.aspectName})")
        self._check_writable()
        for mcp in batch:
            with self._write_txn():
                self._write(mcp)

    @contextlib.contextmanager
    def _write_txn(self) -> Iterator[None]:
        """The writer lock plus `BEGIN IMMEDIATE`, so Lite's read-max-version-then-insert is atomic.

        The lock serialises threads (and every catalog on this file in the process); the immediate
        transaction serialises other processes, which would otherwise race on version numbers
        (REFERENCE.md C3). Lite's `write()` commits it; anything left open is rolled back.
        """
        self._check_writable()
        with self._lock:
            conn = self._writer_conn()
            with self._errors("write"):
                if not conn.in_transaction:
                    conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            finally:
                if conn.in_transaction:
                    conn.rollback()

    def _write(self, mcp: Any) -> None:
        record_query(
            "sql",
            "INSERT INTO metadata_aspect_v2 (urn, aspect_name, version, metadata, ...) -- DataHub Lite write",
            {"urn": mcp.entityUrn, "aspect": mcp.aspectName},
        )
        with self._errors("write"):
            self._writer.write(mcp)

    def _current(self, urn: str, aspect: type[Any]) -> Any | None:
        """Read an aspect through the writer (inside the lock: read-modify-write sees its own writes)."""
        record_query(
            "sql",
            "SELECT metadata FROM metadata_aspect_v2 WHERE urn = ? AND aspect_name = ? AND version = 0",
            {"params": [urn, aspect.ASPECT_NAME]},
        )
        with self._errors("read"):
            got = self._writer.get(urn, [aspect.ASPECT_NAME], typed=True)
        return (got or {}).get(aspect.ASPECT_NAME)

    def _modify(self, urn: str, aspect: type[Any], change: Any) -> None:
        """Read-modify-write one aspect: `change(current_or_None) -> new_or_None` (None = no write)."""
        from datahub.emitter.mcp import MetadataChangeProposalWrapper

        self._check_writable()
        self._require(urn)
        with self._write_txn():  # read and write in one immediate transaction: no lost update
            new = change(self._current(urn, aspect))
            if new is not None:
                self._write(MetadataChangeProposalWrapper(entityUrn=urn, aspect=new))

    def add_tags(self, urn: str, tag_urns: Sequence[str], *, context: str | None = None) -> None:
        """Add tags, keeping every existing one."""
        import datahub.metadata.schema_classes as m

        def change(cur: Any) -> Any:
            have = list(cur.tags) if cur else []
            known = {t.tag for t in have}
            extra = [
                m.TagAssociationClass(tag=t, context=context)
                for t in dict.fromkeys(tag_urns)
                if t not in known
            ]
            return m.GlobalTagsClass(tags=have + extra) if extra else None

        self._modify(urn, m.GlobalTagsClass, change)

    def remove_tags(self, urn: str, tag_urns: Sequence[str]) -> None:
        """Remove only these tags."""
        import datahub.metadata.schema_classes as m

        drop = set(tag_urns)

        def change(cur: Any) -> Any:
            if not cur or not any(t.tag in drop for t in cur.tags):
                return None
            return m.GlobalTagsClass(tags=[t for t in cur.tags if t.tag not in drop])

        self._modify(urn, m.GlobalTagsClass, change)

    def add_links(self, urn: str, links: Sequence[tuple[str, str]]) -> None:
        """Add or relabel links by url, keeping the others."""
        import datahub.metadata.schema_classes as m

        def change(cur: Any) -> Any:
            elements = list(cur.elements) if cur else []
            index = {e.url: i for i, e in enumerate(elements)}
            changed = False
            for url, label in links:
                if url in index:
                    if elements[index[url]].description != label:
                        elements[index[url]].description = label
                        changed = True
                    continue
                stamp = m.AuditStampClass(time=int(time.time() * 1000), actor=ACTOR)
                elements.append(
                    m.InstitutionalMemoryMetadataClass(url=url, description=label, createStamp=stamp)
                )
                index[url] = len(elements) - 1
                changed = True
            return m.InstitutionalMemoryClass(elements=elements) if changed else None

        self._modify(urn, m.InstitutionalMemoryClass, change)

    def remove_links(self, urn: str, urls: Sequence[str]) -> None:
        """Remove only the links with these urls."""
        import datahub.metadata.schema_classes as m

        drop = set(urls)

        def change(cur: Any) -> Any:
            if not cur or not any(e.url in drop for e in cur.elements):
                return None
            return m.InstitutionalMemoryClass(elements=[e for e in cur.elements if e.url not in drop])

        self._modify(urn, m.InstitutionalMemoryClass, change)

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the writer lock while another writer (e.g. the ingestion sink) uses the file."""
        self._check_writable()
        with self._lock:
            yield

    def reindex_browse(self) -> None:
        """Rebuild Lite's browse tree (`datahub lite ls`) once, e.g. after an ingestion."""
        self._check_writable()
        with self._lock, self._errors("reindex"):
            self._writer.reindex()

    def _warm(self) -> None:
        """Take the warm-start file once, when the first run-sized read begins (threads that start
        one together wait for the one that reads it)."""
        if not self.warm_start or self._warm_taken is not None:
            return
        with self._warm_lock:
            if self._warm_taken is None:
                self._warm_taken = self._adopt_warm()

    def _adopt_warm(self) -> int:
        """Take what the last handle on this file left in the warm-start file (`lite_warm`), kind by
        kind where still current; returns how many reads were taken."""
        data = lite_warm.read(self.path)
        if data is None:
            return 0
        try:
            epoch = self._epoch()
            decoded = (
                lite_warm.decode(data, epoch, SiblingGroups(self._sibling_edges, self._all_sibling_edges))
                if epoch
                else None
            )
            if decoded is None:
                return 0
            tokens, remembered = decoded
            before = self._memo.kept("groups")  # what this handle's reads so far (a search) loaded
            taken = self._memo.adopt(tokens, remembered)
            if "groups" in taken and isinstance(before, SiblingGroups):
                remembered["groups"][()].restore(before.to_plain())
        except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:  # damaged: read afresh
            log.debug("ignoring the warm-start file of %s: %r", self.path, exc)
            return 0
        return sum(len(remembered[k]) for k in taken)

    def _save_warm(self) -> None:
        """Leave what this handle read of the lineage for the next process, if it read more."""
        exported = self._memo.export(lite_warm.KINDS)
        epoch = self._epoch()
        if exported is None or not epoch:
            return
        tokens, remembered = exported
        if sum(len(v) for v in remembered.values()) > (self._warm_taken or 0):
            lite_warm.write(self.path, lite_warm.encode(epoch, tokens, remembered))

    def _epoch(self) -> str | None:
        rows = self._query("SELECT value FROM oncall_meta WHERE key = 'epoch'")
        return str(rows[0][0]) if rows else None

    def close(self) -> None:
        """Close every connection, skipping Lite's O(store) reindex-on-close; first leave the
        warm-start file (`lite_warm`) for the next process."""
        if self._closed:
            return
        if self._warm_taken is not None:
            try:
                with relaxed_collection():  # encoding the file builds ~10^5 small lists
                    self._save_warm()
            except (CatalogError, sqlite3.Error, OSError) as exc:  # only the next warm start is lost
                log.debug("no warm-start file for %s: %r", self.path, exc)
        self._closed = True
        with self._readers_lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()
        if self._writer is not None:
            with self._lock:
                self._writer._close_connection()
            self._writer = None

    def __enter__(self) -> LiteCatalog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --------------------------------------------------------------------------------- aspect mapping


def _by_source(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """(source, target) pairs (sorted) as source -> its targets."""
    out: dict[str, list[str]] = {}
    for src, dst in pairs:
        out.setdefault(src, []).append(dst)
    return out


def _platform_id(platform_urn: str | None) -> str | None:
    """`urn:li:dataPlatform:<id>` -> `<id>`."""
    return platform_urn.removeprefix("urn:li:dataPlatform:") if platform_urn else None


def _default_subtype(entity_type: str) -> str:
    return "Data Job" if entity_type == "dataJob" else entity_type.capitalize()


def _job_io(io: dict[str, Any], side: str) -> list[str]:
    """A data job's input or output datasets (plain lists and edges)."""
    urns = _unwrap(io.get(f"{side}Datasets")) + [
        e["destinationUrn"] for e in io.get(f"{side}DatasetEdges") or []
    ]
    return list(dict.fromkeys(urns))


def _instance_id(instance_urn: str | None) -> str | None:
    """`urn:li:dataPlatformInstance:(urn:li:dataPlatform:x,<id>)` -> `<id>`."""
    if not instance_urn:
        return None
    if instance_urn.startswith("urn:li:dataPlatformInstance:(") and instance_urn.endswith(")"):
        return instance_urn[:-1].rsplit(",", 1)[-1]
    return instance_urn


def _fields(schema: dict[str, Any] | None) -> list[SchemaField]:
    return [
        SchemaField(
            path=f["fieldPath"], native_type=f.get("nativeDataType"), description=f.get("description")
        )
        for f in (schema or {}).get("fields", [])
    ]


def _unwrap(items: list[Any] | None) -> list[str]:
    """URN lists may be stored as unions: `[{"string": urn}]`."""
    return [i["string"] if isinstance(i, dict) else i for i in items or []]


def _inputs(entity_type: str, info: dict[str, Any]) -> list[str]:
    def edges(key: str) -> list[str]:
        return [e["destinationUrn"] for e in info.get(key) or []]

    if entity_type == "chart":
        urns = _unwrap(info.get("inputs")) + edges("inputEdges")
    elif entity_type == "dashboard":
        urns = (
            _unwrap(info.get("charts"))
            + edges("chartEdges")
            + _unwrap(info.get("datasets"))
            + edges("datasetEdges")
        )
    else:
        urns = []
    return list(dict.fromkeys(urns))


def _incident(urn: str, info: dict[str, Any]) -> Incident:
    status = info.get("status") or {}
    source = info.get("source") or {}
    created = (info.get("created") or {}).get("time") or info.get("startedAt")
    return Incident(
        urn=urn,
        title=info.get("title") or "",
        description=info.get("description"),
        type=str(info.get("type", "CUSTOM")),
        custom_type=info.get("customType"),
        state=status.get("state", "ACTIVE"),
        stage=status.get("stage"),
        priority=info.get("priority"),
        entities=_unwrap(info.get("entities")),
        source_type=source.get("type"),
        source_urn=source.get("sourceUrn"),
        created_ms=created,
        created_by=(info.get("created") or {}).get("actor"),
    )
