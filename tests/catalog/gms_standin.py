"""A loopback stand-in for DataHub GMS, held to the real contract (no GMS can run here). It is NOT a GMS:
it answers the calls datahub-oncall makes, the way DataHub documents and implements them.

- `POST /api/graphql`: each document is parsed and validated against DataHub's REAL schema (all files
  of `../shared/datahub/graphql/` concatenated); a document that does not validate is rejected with
  GraphQL errors and recorded in `rejected`. Valid documents are executed with graphql-core on that
  schema, with hand-written resolvers over an in-memory aspect store (empty, or loaded from a Lite file).
- `GET /config`: a GMS-shaped config (`noCode`, versions) as the SDK checks it.
- `POST /aspects?action=ingestProposal[Batch]` (Rest.li, what the SDK and the `datahub-rest` sink send
  to a v1.x server): proposals are recorded in `proposals` and applied to the store (UPSERT replaces the
  aspect, timeseries events are appended, PATCH applies the generic JSON patch with `arrayPrimaryKeys`).
- `GET /aspects/<urn>?aspect=<name>`: the SDK's `get_aspect`.
- Consistency, as in GMS (see `Store`; both gaps are 0 s unless asked for): `async: "true"` proposals
  reach storage `async_lag_s` late; search, lineage, relationships, incident lookups and run events
  show a write `index_lag_s` after it was stored, while entity reads and `entityExists` see it at once.
- `mode` makes every request fail: "401", "403", "500" or "slow" (sleeps `slow_s`); `requests` logs
  every `METHOD path?query`.

Scrolls (`scrollAcrossEntities`, `scrollAcrossLineage`) hand out pages of `count` with an opaque scroll
id; a `count` above GMS's default maximum (10,000) is served as its API default (5,000), as GMS does when
its limits are not strict.

Not modelled: search relevance (a word matches a substring of names, descriptions, columns, tags and
terms), OpenAPI v3 and MCE (`/entities?action=ingest`) endpoints, timeseries queries, the trace API,
privileges beyond one bearer token, aspect versions, server-side MCP validation, health and hooks.

A real HTTP server in a thread on 127.0.0.1.
"""

from __future__ import annotations

import collections
import copy
import json
import sqlite3
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import graphql

STANDIN_VERSION = "v1.5.0-standin"
_TIMESERIES = {"assertionRunEvent", "datasetProfile", "operation"}
_PRIORITY: dict[int | None, str] = {0: "CRITICAL", 1: "HIGH", 2: "MEDIUM", 3: "LOW"}  # None: unset
_STAMP = {"time": 0, "actor": "urn:li:corpuser:datahub"}
_PLAIN_TYPENAMES = {"corpGroup": "CorpGroup", "corpuser": "CorpUser", "tag": "Tag"}
_SERVED_KINDS = {"dataset", "chart", "dashboard", "incident", "assertion", "dataJob", *_PLAIN_TYPENAMES}
"""The entity types `Resolvers.entity` builds."""
_LINEAGE_TYPENAMES = {"dataset": "Dataset", "chart": "Chart", "dashboard": "Dashboard", "dataJob": "DataJob"}


def load_schema(graphql_dir: Path) -> graphql.GraphQLSchema:
    """DataHub's schema: every file of the folder concatenated (extend types need their bases)."""
    sdl = "\n".join(p.read_text("utf-8") for p in sorted(graphql_dir.glob("*.graphql")))
    return graphql.build_schema(sdl)


def _unwrap(items: list[Any] | None) -> list[str]:
    return [i["string"] if isinstance(i, dict) and "string" in i else i for i in items or []]


def _entity_type(urn: str) -> str:
    return urn.split(":", 3)[2]


def _platform_of(urn: str) -> str | None:
    """The platform URN in an entity's key: `urn:li:dataset:(urn:li:dataPlatform:x,...)` -> that."""
    inner = urn.split("(", 1)[1] if "(" in urn else ""
    first = inner.split(",", 1)[0]
    return first if first.startswith("urn:li:dataPlatform:") else None


def _edges(items: list[Any] | None) -> list[str]:
    return [e["destinationUrn"] for e in items or [] if isinstance(e, dict)]


_SUB_INFOS = (
    "datasetAssertion",
    "customAssertion",
    "freshnessAssertion",
    "volumeAssertion",
    "sqlAssertion",
    "fieldAssertion",
    "schemaAssertion",
)


def _assertion_target(info: dict[str, Any]) -> str | None:
    """The entity an assertionInfo is about (GMS's `Asserts` edge comes from each sub-info's entity)."""
    for key in _SUB_INFOS:
        sub = info.get(key) or {}
        if sub.get("dataset") or sub.get("entity"):
            return str(sub.get("dataset") or sub.get("entity"))
    return info.get("entityUrn")


# ------------------------------------------------------------------------------------------ the store


class Store:
    """The stand-in's database, with GMS's two consistency gaps (both off by default).

    - `aspects` is primary storage (GMS's SQL): entity reads, `entityExists` and `GET /aspects` see a
      write as soon as it is applied. An `async: "true"` proposal (the `datahub-rest` sink's default
      ASYNC_BATCH mode) is only queued, as GMS puts it on Kafka: it reaches primary storage
      `async_lag_s` later.
    - search, lineage, relationships (`Asserts`, `IncidentOn`), incident lookups and timeseries
      (`runEvents`) are served by GMS's search index, fed from primary storage by the MAE consumer:
      they see a write `index_lag_s` after it was applied (until then, the value it replaced).
    """

    def __init__(self, *, async_lag_s: float = 0.0, index_lag_s: float = 0.0) -> None:
        self.aspects: dict[str, dict[str, Any]] = {}
        self.events: dict[str, dict[str, list[dict[str, Any]]]] = {}
        self.async_lag_s = async_lag_s
        self.index_lag_s = index_lag_s
        self.oss_assertion_model = False
        """Serve assertionInfo as an older OSS server keeps it (CustomAssertionInfo trimmed)."""
        self.sibling_hook = True
        """Serve each side of a sibling group as GMS's sibling hook leaves it (the reciprocal aspect
        written); off, an entity's `siblings` is only its own aspect, as written."""
        self.lock = threading.RLock()
        self._queued: list[tuple[float, dict[str, Any]]] = []
        self._stale: dict[str, dict[str, tuple[float, Any]]] = {}
        """urn -> aspect -> (when the index catches up, the value it still shows; None = absent)."""
        self._event_due: dict[int, float] = {}
        self._version = 0
        """Bumped by every change storage or the index shows; the derived indexes below follow it."""
        self._derived: dict[str, tuple[int, Any]] = {}

    def changed(self) -> None:
        """Call after editing `aspects` or `events` in place (the derived indexes are rebuilt)."""
        with self.lock:
            self._version += 1

    def derived(self, key: str, build: Callable[[], Any]) -> Any:
        """`build()`, kept until storage or the index changes (the edge and sibling indexes are what
        makes a lineage walk over thousands of datasets take milliseconds rather than seconds here)."""
        with self.lock:
            self._drain()
            version = self._version
            hit = self._derived.get(key)
            if hit is not None and hit[0] == version:
                return hit[1]
            value = build()
            self._derived[key] = (version, value)
            return value

    @classmethod
    def from_lite(cls, path: Path) -> Store:
        """Current aspects and every timeseries event of a DataHub Lite file."""
        store = cls()
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            for urn, name, meta in conn.execute(
                "SELECT urn, aspect_name, metadata FROM metadata_aspect_v2 WHERE version = 0"
            ):
                if name not in _TIMESERIES:
                    store.aspects.setdefault(urn, {})[name] = json.loads(meta)
            for urn, name, meta in conn.execute(
                "SELECT urn, aspect_name, metadata FROM metadata_aspect_v2 WHERE version > 0 "
                f"AND aspect_name IN ({','.join('?' * len(_TIMESERIES))})",
                sorted(_TIMESERIES),
            ):
                store.add_event(urn, name, json.loads(meta))
        finally:
            conn.close()
        store.changed()
        return store

    def add_event(self, urn: str, name: str, event: dict[str, Any]) -> None:
        """A timeseries event (same timestamp = replaced), searchable after the index lag."""
        with self.lock:
            events = self.events.setdefault(urn, {}).setdefault(name, [])
            events[:] = [e for e in events if e.get("timestampMillis") != event.get("timestampMillis")]
            events.append(event)
            self._version += 1
            if self.index_lag_s:
                self._event_due[id(event)] = time.monotonic() + self.index_lag_s

    def submit(self, proposal: dict[str, Any], *, queued: bool = False) -> None:
        """An ingestProposal: applied now (sync) or after `async_lag_s` (async, via GMS's queue)."""
        with self.lock:
            if queued and self.async_lag_s:
                self._queued.append((time.monotonic() + self.async_lag_s, proposal))
            else:
                self._drain(force=True)  # Kafka keeps each entity's proposals in order
                self.apply(proposal)

    def apply(self, proposal: dict[str, Any]) -> None:
        """Apply one ingestProposal to primary storage."""
        urn, name = proposal["entityUrn"], proposal["aspectName"]
        value = json.loads(proposal["aspect"]["value"])
        with self.lock:
            if name in _TIMESERIES:  # timeseries cannot be patched; they live in the index only
                self.add_event(urn, name, value)
                return
            current = self.aspects.setdefault(urn, {}).get(name)
            if proposal.get("changeType", "UPSERT") == "PATCH":
                value = apply_patch(current or {}, value)
            if self.index_lag_s:
                due = time.monotonic() + self.index_lag_s
                stale = self._stale.setdefault(urn, {})
                stale[name] = (due, stale.get(name, (0.0, copy.deepcopy(current)))[1])
            self.aspects[urn][name] = value
            self._version += 1

    def _drain(self, *, force: bool = False) -> None:
        now = time.monotonic()
        while self._queued and (force or self._queued[0][0] <= now):
            self.apply(self._queued.pop(0)[1])
        for urn in list(self._stale):
            stale = self._stale[urn]
            for name in [n for n, (due, _old) in stale.items() if due <= now]:
                del stale[name]
                self._version += 1
            if not stale:
                del self._stale[urn]
        for key in [k for k, due in self._event_due.items() if due <= now]:
            del self._event_due[key]
            self._version += 1

    def refresh(self) -> None:
        """Let the queue and the index catch up now (an Elasticsearch refresh, for tests to inspect)."""
        with self.lock:
            self._drain(force=True)
            self._stale.clear()
            self._event_due.clear()
            self._version += 1

    # ------------------------------------------------------------------ primary storage

    def get(self, urn: str) -> dict[str, Any]:
        with self.lock:
            self._drain()
            return self.aspects.get(urn) or {}

    def exists(self, urn: str) -> bool:
        aspects = self.get(urn)
        return bool(aspects) and not (aspects.get("status") or {}).get("removed")

    # ------------------------------------------------------------------ the search index

    def indexed(self, urn: str) -> dict[str, Any]:
        """The aspects of `urn` as the search index shows them now."""
        with self.lock:
            self._drain()
            aspects = dict(self.aspects.get(urn) or {})
            for name, (_due, old) in (self._stale.get(urn) or {}).items():
                if old is None:
                    aspects.pop(name, None)
                else:
                    aspects[name] = old
            return aspects

    def indexed_urns(self) -> list[str]:
        """URNs the index knows and does not show as removed, sorted."""

        def build() -> list[str]:
            urns = sorted(self.aspects)
            return [u for u in urns if (a := self.indexed(u)) and not (a.get("status") or {}).get("removed")]

        found: list[str] = self.derived("indexed_urns", build)
        return found

    def indexed_events(self, urn: str, name: str) -> list[dict[str, Any]]:
        """Timeseries events of `urn` the index has."""
        with self.lock:
            self._drain()
            now = time.monotonic()
            events = self.events.get(urn, {}).get(name, [])
            return [e for e in events if self._event_due.get(id(e), 0.0) <= now]

    def edges(self) -> list[tuple[str, str, str]]:
        """(source, relationship, destination) as GMS's graph index holds them."""
        found: list[tuple[str, str, str]] = self.derived("edges", lambda: list(self._edges()))
        return found

    def edges_into(self, urn: str) -> list[tuple[str, str, str]]:
        """The edges whose destination is `urn`, in `edges()` order."""
        return self._edges_at(2, urn)

    def edges_out_of(self, urn: str) -> list[tuple[str, str, str]]:
        """The edges whose source is `urn`, in `edges()` order."""
        return self._edges_at(0, urn)

    def _edges_at(self, end: int, urn: str) -> list[tuple[str, str, str]]:
        def build() -> dict[str, list[tuple[str, str, str]]]:
            at: dict[str, list[tuple[str, str, str]]] = {}
            for edge in self.edges():
                at.setdefault(edge[end], []).append(edge)
            return at

        index: dict[str, list[tuple[str, str, str]]] = self.derived(f"edges_at_{end}", build)
        return index.get(urn, [])

    def _edges(self) -> Iterator[tuple[str, str, str]]:
        for urn in self.indexed_urns():
            aspects = self.indexed(urn)
            for up in (aspects.get("upstreamLineage") or {}).get("upstreams") or []:
                yield urn, "DownstreamOf", up["dataset"]
            chart = aspects.get("chartInfo") or {}
            for target in _unwrap(chart.get("inputs")) + _edges(chart.get("inputEdges")):
                yield urn, "Consumes", target
            dash = aspects.get("dashboardInfo") or {}
            for target in _unwrap(dash.get("charts")) + _edges(dash.get("chartEdges")):
                yield urn, "Contains", target
            for target in _unwrap(dash.get("datasets")) + _edges(dash.get("datasetEdges")):
                yield urn, "Consumes", target
            io = aspects.get("dataJobInputOutput") or {}
            for target in _unwrap(io.get("inputDatasets")) + _edges(io.get("inputDatasetEdges")):
                yield urn, "Consumes", target
            for target in _unwrap(io.get("outputDatasets")) + _edges(io.get("outputDatasetEdges")):
                yield urn, "Produces", target
            for target in _unwrap(io.get("inputDatajobs")) + _edges(io.get("inputDatajobEdges")):
                yield urn, "DownstreamOf", target
            asserted = _assertion_target(aspects.get("assertionInfo") or {})
            if asserted:
                yield urn, "Asserts", asserted
            for target in _unwrap((aspects.get("incidentInfo") or {}).get("entities")):
                yield urn, "IncidentOn", target

    def siblings(self, urn: str) -> tuple[bool | None, list[str]]:
        """(isPrimary, siblings) of `urn` as GMS serves them: its own aspect plus what the sibling hook
        writes on the other side (a dbt node's siblings get the reciprocal aspect, `primary: false`)."""
        own = self.get(urn).get("siblings")
        names = list(_unwrap((own or {}).get("siblings")))

        def build() -> dict[str, list[str]]:
            named_by: dict[str, list[str]] = {}
            for u, a in self.aspects.items():
                for named in _unwrap((a.get("siblings") or {}).get("siblings")):
                    named_by.setdefault(named, []).append(u)
            return named_by

        others: list[str] = self.derived("named_as_sibling_by", build).get(urn, [])
        if not self.sibling_hook:
            others = []
        names += [u for u in others if u not in names and u != urn]
        if own is not None:
            return bool(own.get("primary")), names
        return (False, names) if names else (None, [])


def _key_value(element: dict[str, Any], key: str) -> str:
    value: Any = element
    for part in key.split("\u241f"):
        value = value.get(part) if isinstance(value, dict) else None
    return "" if value is None else str(value)


def apply_patch(current: dict[str, Any], patch: Any) -> dict[str, Any]:
    """Generic JSON patch of an aspect (the `arrayPrimaryKeys` envelope, or plain ops on fields)."""
    doc = json.loads(json.dumps(current))
    keys: dict[str, list[str]] = {}
    ops = patch
    if isinstance(patch, dict):
        keys, ops = patch.get("arrayPrimaryKeys") or {}, patch.get("patch") or []
    for op in ops:
        parts = [p.replace("~1", "/").replace("~0", "~") for p in op["path"].split("/")[1:]]
        field, segs = parts[0], parts[1:]
        if field in keys:
            items = doc.setdefault(field, [])
            names = keys[field]

            def match(e: dict[str, Any], segs: list[str] = segs, names: list[str] = names) -> bool:
                return all(s == "*" or _key_value(e, n) == s for n, s in zip(names, segs, strict=False))

            kept = [e for e in items if not match(e)]
            if op["op"] == "add":
                kept.append(op["value"])
            doc[field] = kept
        elif op["op"] == "add":
            target = doc
            for p in parts[:-1]:
                target = target.setdefault(p, {})
            target[parts[-1]] = op["value"]
        elif op["op"] == "remove":
            target = doc
            for p in parts[:-1]:
                target = target.get(p, {})
            target.pop(parts[-1], None)
    return doc


# -------------------------------------------------------------------------------- GraphQL resolvers


class Resolvers:
    """Plain dicts shaped like DataHub's GraphQL types; callables receive (info, **args)."""

    max_agg_values = 20
    """Values a facet aggregation lists at most, the biggest first (GMS's `maxAggValues` default)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def root(self) -> dict[str, Any]:
        return {
            "entity": lambda _i, urn: self.entity(urn),
            "entities": lambda _i, urns, checkForExistence=None: [self.entity(u) for u in urns],
            "dataset": lambda _i, urn: self.entity(urn) if _entity_type(urn) == "dataset" else None,
            "chart": lambda _i, urn: self.entity(urn) if _entity_type(urn) == "chart" else None,
            "dashboard": lambda _i, urn: self.entity(urn) if _entity_type(urn) == "dashboard" else None,
            "entityExists": lambda _i, urn: self.store.exists(urn),
            "searchAcrossEntities": lambda _i, input: self.search(input),
            "scrollAcrossEntities": lambda _i, input: self.scroll(input),
            "scrollAcrossLineage": lambda _i, input: self.scroll_lineage(input),
            "searchAcrossLineage": lambda _i, input: self.lineage(input),
            "aggregateAcrossEntities": lambda _i, input: self.aggregate(input),
        }

    # ------------------------------------------------------------------ entities

    def entity(self, urn: str) -> dict[str, Any] | None:
        if not self.store.exists(urn):
            return None
        kind = _entity_type(urn)
        builder: dict[str, Callable[[str], dict[str, Any]]] = {
            "dataset": self.dataset,
            "chart": self.chart,
            "dashboard": self.dashboard,
            "incident": self.incident,
            "assertion": self.assertion,
            "dataJob": self.data_job,
        }
        if kind in builder:
            return builder[kind](urn)
        typename = _PLAIN_TYPENAMES.get(kind)
        return {"__typename": typename, "urn": urn, "type": kind.upper()} if typename else None

    def _served(self, urn: str) -> bool:
        """Whether `entity` answers for `urn`, without building it."""
        return self.store.exists(urn) and _entity_type(urn) in _SERVED_KINDS

    def _ref(self, urn: str) -> dict[str, Any]:
        """A minimal entity for paths and relationships (ghost URNs included)."""
        found = self.entity(urn) if self.store.exists(urn) else None
        if found:
            return found
        kind = _entity_type(urn)
        typename = _LINEAGE_TYPENAMES.get(kind, "Dataset")
        return {"__typename": typename, "urn": urn, "type": kind.upper(), "name": urn}

    def _common(self, urn: str, aspects: dict[str, Any], platform: str) -> dict[str, Any]:
        dpi = aspects.get("dataPlatformInstance") or {}
        instance = dpi.get("instance")
        instance_id = instance[:-1].rsplit(",", 1)[-1] if instance else None
        platform_obj = {"urn": f"urn:li:dataPlatform:{platform}", "name": platform, "type": "DATA_PLATFORM"}
        tags = (aspects.get("globalTags") or {}).get("tags") or []
        terms = (aspects.get("glossaryTerms") or {}).get("terms") or []
        owners = (aspects.get("ownership") or {}).get("owners") or []
        memory = (aspects.get("institutionalMemory") or {}).get("elements") or []
        return {
            "urn": urn,
            "exists": True,
            "platform": platform_obj,
            "dataPlatformInstance": {
                "urn": instance,
                "type": "DATA_PLATFORM_INSTANCE",
                "instanceId": instance_id,
                "platform": platform_obj,
            }
            if instance
            else None,
            "subTypes": {"typeNames": (aspects.get("subTypes") or {}).get("typeNames") or []}
            if aspects.get("subTypes")
            else None,
            "status": {"removed": bool((aspects.get("status") or {}).get("removed"))},
            "tags": {"tags": [{"tag": {"urn": t["tag"], "type": "TAG"}, "associatedUrn": urn} for t in tags]},
            "glossaryTerms": {
                "terms": [
                    {"term": {"urn": t["urn"], "type": "GLOSSARY_TERM"}, "associatedUrn": urn} for t in terms
                ]
            },
            "ownership": {
                "owners": [
                    {
                        "owner": {
                            "__typename": "CorpGroup" if ":corpGroup:" in o["owner"] else "CorpUser",
                            "urn": o["owner"],
                            "type": "CORP_GROUP" if ":corpGroup:" in o["owner"] else "CORP_USER",
                        },
                        "type": o.get("type"),
                        "associatedUrn": urn,
                    }
                    for o in owners
                ],
                "lastModified": _STAMP,
            },
            "institutionalMemory": {
                "elements": [
                    {
                        "url": e["url"],
                        "label": e.get("description") or e["url"],
                        "description": e.get("description") or "",
                        "associatedUrn": urn,
                        "created": e.get("createStamp") or _STAMP,
                    }
                    for e in memory
                ]
            },
            "incidents": lambda _i, **args: self.incidents(urn, **args),
            "relationships": lambda _i, input: self.relationships(urn, input),
        }

    def dataset(self, urn: str) -> dict[str, Any]:
        aspects = self.store.get(urn)
        props = aspects.get("datasetProperties") or {}
        editable = aspects.get("editableDatasetProperties") or {}
        fields = (aspects.get("schemaMetadata") or {}).get("fields") or []
        view = aspects.get("viewProperties")
        platform = urn.split("urn:li:dataPlatform:", 1)[1].split(",", 1)[0]
        return {
            **self._common(urn, aspects, platform),
            "__typename": "Dataset",
            "type": "DATASET",
            "name": props.get("name") or urn,
            "properties": {"name": props.get("name"), "description": props.get("description")}
            if props
            else None,
            "editableProperties": {"description": editable.get("description")} if editable else None,
            "viewProperties": {"logic": view.get("viewLogic"), "materialized": False, "language": "SQL"}
            if view
            else None,
            "schemaMetadata": {
                "fields": [
                    {
                        "fieldPath": f["fieldPath"],
                        "nativeDataType": f.get("nativeDataType"),
                        "description": f.get("description"),
                        "type": "STRING",
                        "nullable": bool(f.get("nullable", True)),
                    }
                    for f in fields
                ]
            }
            if fields
            else None,
            "assertions": lambda _i, **args: self.assertions(urn),
            "siblings": lambda _i: self._siblings(urn),
        }

    def _siblings(self, urn: str) -> dict[str, Any] | None:
        primary, names = self.store.siblings(urn)
        if primary is None:
            return None
        return {"isPrimary": primary, "siblings": [self._ref(n) for n in names]}

    def data_job(self, urn: str) -> dict[str, Any]:
        aspects = self.store.get(urn)
        info = aspects.get("dataJobInfo") or {}
        orchestrator = urn.split("urn:li:dataFlow:(", 1)[1].split(",", 1)[0]
        return {
            **self._common(urn, aspects, orchestrator),
            "__typename": "DataJob",
            "type": "DATA_JOB",
            "jobId": urn.rsplit(",", 1)[1].rstrip(")"),
            "jobPlatform": None,
            "properties": {"name": info.get("name"), "description": info.get("description")}
            if info
            else None,
            "editableProperties": None,
        }

    def _bi(self, urn: str, typename: str, info_name: str) -> dict[str, Any]:
        aspects = self.store.get(urn)
        info = aspects.get(info_name) or {}
        platform = urn.split("(", 1)[1].split(",", 1)[0]
        return {
            **self._common(urn, aspects, platform),
            "__typename": typename,
            "type": typename.upper(),
            "properties": {
                "name": info.get("title"),
                "description": info.get("description"),
                "created": _STAMP,
                "lastModified": _STAMP,
            }
            if info
            else None,
            "editableProperties": None,
        }

    def chart(self, urn: str) -> dict[str, Any]:
        return self._bi(urn, "Chart", "chartInfo")

    def dashboard(self, urn: str) -> dict[str, Any]:
        return self._bi(urn, "Dashboard", "dashboardInfo")

    def relationships(self, urn: str, input: dict[str, Any]) -> dict[str, Any]:
        types = set(input["types"])
        outgoing = input["direction"] == "OUTGOING"
        edges = self.store.edges_out_of(urn) if outgoing else self.store.edges_into(urn)
        found = [
            {"type": rel, "direction": input["direction"], "entity": self._ref(dst if outgoing else src)}
            for src, rel, dst in edges
            if rel in types
        ]
        return {"start": 0, "count": len(found), "total": len(found), "relationships": found}

    def incident(self, urn: str) -> dict[str, Any]:
        info = self.store.get(urn).get("incidentInfo") or {}
        status = info.get("status") or {}
        source = info.get("source") or {}
        state = {
            "state": status.get("state", "ACTIVE"),
            "stage": status.get("stage"),
            "message": status.get("message"),
            "lastUpdated": status.get("lastUpdated") or _STAMP,
        }
        entities = _unwrap(info.get("entities"))
        return {
            "__typename": "Incident",
            "urn": urn,
            "type": "INCIDENT",
            "incidentType": info.get("type", "CUSTOM"),
            "customType": info.get("customType"),
            "title": info.get("title"),
            "description": info.get("description"),
            "incidentStatus": state,
            "status": state,
            "priority": _PRIORITY.get(info.get("priority")),
            "entity": self._ref(entities[0]) if entities else None,
            "source": {
                "type": source.get("type", "MANUAL"),
                "source": {"__typename": "Assertion", "urn": source["sourceUrn"], "type": "ASSERTION"}
                if source.get("sourceUrn")
                else None,
            }
            if source
            else None,
            "startedAt": info.get("startedAt"),
            "created": info.get("created") or _STAMP,
            "relationships": lambda _i, input: self.relationships(urn, input),
        }

    def incidents(
        self, urn: str, state: str | None = None, start: int = 0, count: int = 20, **_: Any
    ) -> dict[str, Any]:
        # GMS searches the incident index (entities, state) and hydrates the hits from primary storage.
        hits = [src for src, rel, _dst in self.store.edges_into(urn) if rel == "IncidentOn"]
        indexed = {src: self.store.indexed(src).get("incidentInfo") or {} for src in hits}
        if state:
            hits = [src for src in hits if (indexed[src].get("status") or {}).get("state") == state]
        hits.sort(key=lambda src: -(indexed[src].get("created") or {}).get("time", 0))
        found = [self.incident(src) for src in hits if self.store.exists(src)]
        page = found[start : start + count]
        return {"start": start, "count": len(page), "total": len(found), "incidents": page}

    def assertion(self, urn: str) -> dict[str, Any]:
        aspects = self.store.get(urn)
        info = aspects.get("assertionInfo") or {}
        ds = info.get("datasetAssertion")
        custom = info.get("customAssertion")
        platform = (aspects.get("dataPlatformInstance") or {}).get(
            "platform"
        ) or "urn:li:dataPlatform:unknown"
        name = platform.removeprefix("urn:li:dataPlatform:")

        def field_ref(field_urn: str) -> dict[str, str]:
            return {"urn": field_urn, "path": field_urn[:-1].rsplit(",", 1)[-1]}

        return {
            "__typename": "Assertion",
            "urn": urn,
            "type": "ASSERTION",
            "platform": {"urn": platform, "name": name, "type": "DATA_PLATFORM"},
            # GMS serves aspects as stored. A server whose PDL lacks the SDK's newer CustomAssertionInfo
            # fields (REFERENCE.md B1: OSS at 876a1c27) trims them at ingestion: `oss_assertion_model`.
            "aspects": lambda _i, input=None: (
                [
                    {
                        "aspectName": "assertionInfo",
                        "payload": json.dumps(_trim_custom(info) if self.store.oss_assertion_model else info),
                    }
                ]
                if info and "assertionInfo" in ((input or {}).get("aspectNames") or ["assertionInfo"])
                else []
            ),
            "info": {
                "type": info.get("type"),
                "description": info.get("description"),
                "datasetAssertion": {
                    "datasetUrn": ds["dataset"],
                    "scope": ds.get("scope"),
                    "aggregation": ds.get("aggregation"),
                    "operator": ds.get("operator"),
                    "nativeType": ds.get("nativeType"),
                    "nativeParameters": [
                        {"key": k, "value": v} for k, v in (ds.get("nativeParameters") or {}).items()
                    ],
                    "logic": ds.get("logic"),
                    "fields": [field_ref(f) for f in ds.get("fields") or []],
                }
                if ds
                else None,
                "customAssertion": {
                    "type": custom.get("type"),
                    "entityUrn": custom.get("entity"),
                    "logic": custom.get("logic"),
                    "field": field_ref(custom["field"]) if custom.get("field") else None,
                }
                if custom
                else None,
            },
            "runEvents": lambda _i, **args: self.run_events(urn, **args),
        }

    def assertions(self, urn: str) -> dict[str, Any]:
        found = [
            self.assertion(src)
            for src, rel, _dst in self.store.edges_into(urn)
            if rel == "Asserts" and self.store.exists(src)
        ]
        return {"start": 0, "count": len(found), "total": len(found), "assertions": found}

    def run_events(
        self, urn: str, limit: int | None = None, startTimeMillis: int | None = None, **_: Any
    ) -> dict[str, Any]:
        events = sorted(
            self.store.indexed_events(urn, "assertionRunEvent"), key=lambda e: -e["timestampMillis"]
        )
        if startTimeMillis is not None:  # GMS filters the timeseries index by time (inclusive)
            events = [e for e in events if e["timestampMillis"] >= startTimeMillis]
        events = events[: limit or len(events)]
        page = [
            {
                "timestampMillis": e["timestampMillis"],
                "runId": e.get("runId", ""),
                "asserteeUrn": e.get("asserteeUrn", ""),
                "assertionUrn": urn,
                "status": e.get("status", "COMPLETE"),
                "result": _result(e.get("result")),
            }
            for e in events
        ]
        types = [p["result"]["type"] if p["result"] else None for p in page]
        return {
            "total": len(page),
            "failed": types.count("FAILURE"),
            "succeeded": types.count("SUCCESS"),
            "errored": types.count("ERROR"),
            "runEvents": page,
        }

    # ------------------------------------------------------------------ search and lineage

    def _text(self, urn: str) -> str:
        aspects = self.store.indexed(urn)
        parts = [urn]
        for name in (
            "datasetProperties",
            "editableDatasetProperties",
            "chartInfo",
            "dashboardInfo",
            "dataJobInfo",
        ):
            info = aspects.get(name) or {}
            parts += [str(info.get(k) or "") for k in ("name", "title", "description")]
        parts += [f["fieldPath"] for f in (aspects.get("schemaMetadata") or {}).get("fields") or []]
        parts += [t["tag"] for t in (aspects.get("globalTags") or {}).get("tags") or []]
        parts += [t["urn"] for t in (aspects.get("glossaryTerms") or {}).get("terms") or []]
        return " ".join(parts).lower()

    def _passes(self, urn: str, or_filters: list[dict[str, Any]] | None) -> bool:
        if not or_filters:
            return True
        aspects = self.store.indexed(urn)
        instance = (aspects.get("dataPlatformInstance") or {}).get("instance")
        tags = {t["tag"] for t in (aspects.get("globalTags") or {}).get("tags") or []}
        for group in or_filters:
            ok = True
            for f in group["and"]:
                values = f.get("values") or []
                if f["field"] in ("platformInstance", "platformInstance.keyword"):
                    if f.get("condition") == "END_WITH":
                        ok &= any(str(instance or "").endswith(v) for v in values)
                    else:
                        ok &= instance in values
                elif f["field"] == "tags":
                    ok &= bool(tags & set(values))
                elif f["field"] == "platform":  # the platform URN of the entity's key
                    ok &= (_platform_of(urn) in values) != bool(f.get("negated"))
                elif f["field"] == "siblings":  # indexed as served: the sibling hook writes both sides
                    siblings = self.store.siblings(urn)[1]
                    if f.get("condition") == "EXISTS":
                        matched = bool(siblings)
                    elif f.get("condition") == "START_WITH":
                        matched = any(s.startswith(v) for s in siblings for v in values)
                    else:
                        raise ValueError(f"the stand-in does not filter siblings by {f.get('condition')!r}")
                    ok &= matched != bool(f.get("negated"))
                elif f["field"] == "hasActiveIncidents":  # the IncidentsSummary flag of the entity index
                    active = self.incidents(urn, state="ACTIVE")["total"] > 0
                    ok &= ("true" if active else "false") in values
                else:
                    raise ValueError(f"the stand-in does not filter on {f['field']!r}")
            if ok:
                return True
        return False

    def aggregate(self, input: dict[str, Any]) -> dict[str, Any]:
        """aggregateAcrossEntities of the `platform` facet (the only one modelled): the biggest
        `max_agg_values` platforms with their counts."""
        if set(input.get("facets") or []) != {"platform"}:
            raise ValueError(f"the stand-in aggregates only the platform facet, not {input.get('facets')}")
        counts = collections.Counter(p for p in map(_platform_of, self._hits(input)) if p)
        biggest = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[: self.max_agg_values]
        aggregations = [{"value": v, "count": n, "entity": None, "displayName": None} for v, n in biggest]
        return {"facets": [{"field": "platform", "displayName": "Platform", "aggregations": aggregations}]}

    def scroll(self, input: dict[str, Any]) -> dict[str, Any]:
        """scrollAcrossEntities: pages of `count`, the scroll id an opaque offset."""
        start = int(input.get("scrollId") or 0)
        page = self.search({**input, "query": "*", "start": start})
        more = start + page["count"] < page["total"]
        return {**page, "nextScrollId": str(start + page["count"]) if more else None}

    def search(self, input: dict[str, Any]) -> dict[str, Any]:
        hits = self._hits(input)
        start = input.get("start") or 0
        page: list[dict[str, Any]] = [
            {"entity": self.entity(urn), "matchedFields": [], "insights": []}
            for urn in hits[start : start + _page_size(input)]  # only the page is built, as in GMS
        ]
        return {"start": start, "count": len(page), "total": len(hits), "searchResults": page, "facets": []}

    def _hits(self, input: dict[str, Any]) -> list[str]:
        """The URNs a search input matches, in index order."""
        kinds = {"DATASET": "dataset", "CHART": "chart", "DASHBOARD": "dashboard", "DATA_JOB": "dataJob"}
        types = {kinds.get(t, t.lower()) for t in input.get("types") or ["DATASET", "CHART", "DASHBOARD"]}
        words = [w for w in (input.get("query") or "*").lower().split() if w != "*"]

        def build() -> list[str]:
            hits = []
            for urn in self.store.indexed_urns():  # matched in the index, hydrated from primary storage
                if _entity_type(urn) not in types or not self._passes(urn, input.get("orFilters")):
                    continue
                if words and not any(w in self._text(urn) for w in words):
                    continue
                if self._served(urn):
                    hits.append(urn)
            return hits

        # Kept until the store changes, as an index answers each page of a scroll without a full scan.
        key = json.dumps(["hits", sorted(types), words, input.get("orFilters")], sort_keys=True)
        found: list[str] = self.store.derived(key, build)
        return found

    def lineage(self, input: dict[str, Any], start: int = 0) -> dict[str, Any]:
        degrees = ["1", "2", "3+"]
        for group in input.get("orFilters") or []:
            for f in group["and"]:
                if f["field"] == "degree":
                    degrees = f["values"]
                    if not set(degrees) <= {"1", "2", "3+"}:
                        raise ValueError(f"invalid degree values {degrees}")
        max_hops = None if "3+" in degrees else max(int(d) for d in degrees)
        upstream = input["direction"] == "UPSTREAM"
        adjacent = self.store.derived(f"lineage_{upstream}", lambda: self._adjacent(upstream))
        paths = {input["urn"]: [input["urn"]]}
        frontier = [input["urn"]]
        while frontier and (max_hops is None or len(paths[frontier[0]]) - 1 < max_hops):
            nxt = []
            for node in frontier:
                for far in adjacent.get(node, ()):
                    if far not in paths:
                        paths[far] = [*paths[node], far]
                        nxt.append(far)
            frontier = sorted(nxt)
        kinds = {"DATASET": "dataset", "CHART": "chart", "DASHBOARD": "dashboard", "DATA_JOB": "dataJob"}
        types = {kinds[t] for t in input.get("types") or ["DATASET", "CHART", "DASHBOARD"]}
        found = [(u, p) for u, p in paths.items() if u != input["urn"] and _entity_type(u) in types]
        page = found[start : start + _page_size(input)]
        results = [
            {
                "entity": self._ref(urn),
                "degree": len(path) - 1,
                "degrees": [len(path) - 1],
                "paths": [{"path": [_LazyRef(self, u) for u in path]}],
                "matchedFields": [],
                "insights": [],
                "explored": True,
                "truncatedChildren": False,
                "ignoredAsHop": False,
            }
            for urn, path in page
        ]
        return {"start": start, "count": len(results), "total": len(found), "searchResults": results}

    def scroll_lineage(self, input: dict[str, Any]) -> dict[str, Any]:
        """scrollAcrossLineage: pages of `count`, the scroll id an opaque offset."""
        start = int(input.get("scrollId") or 0)
        page = self.lineage(input, start)
        more = start + page["count"] < page["total"]
        return {**page, "nextScrollId": str(start + page["count"]) if more else None}

    def _adjacent(self, upstream: bool) -> dict[str, list[str]]:
        """Lineage neighbours in `edges()` order: a job that Produces a dataset is upstream of it."""
        adjacent: dict[str, list[str]] = {}
        for s, rel, d in self.store.edges():
            if rel not in ("DownstreamOf", "Consumes", "Contains", "Produces"):
                continue
            down, up = (d, s) if rel == "Produces" else (s, d)
            near, far = (down, up) if upstream else (up, down)
            adjacent.setdefault(near, []).append(far)
        return adjacent


class _LazyRef(Mapping[str, Any]):
    """An entity on a lineage path, built only if the query selects more than its URN and type: paths
    repeat every node above a result, and building them all made a walk quadratic here."""

    def __init__(self, resolvers: Resolvers, urn: str) -> None:
        self._resolvers, self._urn = resolvers, urn
        self._full: dict[str, Any] | None = None

    def _entity(self) -> dict[str, Any]:
        if self._full is None:
            self._full = self._resolvers._ref(self._urn)
        return self._full

    def __getitem__(self, key: str) -> Any:
        if key == "urn":
            return self._urn
        kind = _entity_type(self._urn)
        if key == "__typename" and kind in _LINEAGE_TYPENAMES:  # as `_ref` names it, present or not
            return _LINEAGE_TYPENAMES[kind]
        return self._entity()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entity())

    def __len__(self) -> int:
        return len(self._entity())


_MAX_COUNT, _API_DEFAULT_COUNT = 10_000, 5_000
"""GMS's `searchService.limit.results` defaults (application.yaml): not strict, so a `count` above the
maximum is served as the API default."""


def _page_size(input: dict[str, Any]) -> int:
    count = 10 if input.get("count") is None else int(input["count"])  # 0: the total alone
    return _API_DEFAULT_COUNT if count > _MAX_COUNT else count


def _result(result: dict[str, Any] | None) -> dict[str, Any] | None:
    if not result:
        return None
    error = result.get("error")
    return {
        "type": result.get("type"),
        "actualAggValue": result.get("actualAggValue"),
        "rowCount": result.get("rowCount"),
        "unexpectedCount": result.get("unexpectedCount"),
        "severity": result.get("severity"),
        "nativeResults": [{"key": k, "value": v} for k, v in (result.get("nativeResults") or {}).items()],
        "error": {
            "type": error.get("type"),
            "properties": [{"key": k, "value": v} for k, v in (error.get("properties") or {}).items()],
        }
        if error
        else None,
    }


# ------------------------------------------------------------------------------------------ server


class _SharedPortServer(ThreadingHTTPServer):
    allow_reuse_port = True


class GmsStandin:
    """The HTTP server; use as a context manager. `url` is its base URL."""

    def __init__(
        self,
        schema: graphql.GraphQLSchema,
        store: Store,
        *,
        token: str | None = None,
        port: int = 0,
        reuse_port: bool = False,
    ) -> None:
        """`reuse_port` lets several processes serve one `port` (SO_REUSEPORT: the kernel spreads the
        connections), as the bench's forked workers do."""
        self.schema = schema
        self.store = store
        self.token = token
        self.mode: str | None = None
        self.slow_s = 2.0
        self.latency_s = 0.0
        """Every request waits this long before it is served, as over a network to a server that serves
        requests side by side (the wait holds no lock: waits of requests in flight together overlap)."""
        self.documents: list[tuple[str, dict[str, Any]]] = []
        self.rejected: list[tuple[str, list[str]]] = []
        self.proposals: list[dict[str, Any]] = []
        self.requests: list[str] = []
        """`METHOD path?query` of every HTTP request, in order."""
        self._resolvers = Resolvers(store)
        server_class = _SharedPortServer if reuse_port else ThreadingHTTPServer
        self._server = server_class(("127.0.0.1", port), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        assert isinstance(host, str)  # an AF_INET server's host (typeshed also allows bytes)
        return f"http://{host}:{port}"

    def __enter__(self) -> GmsStandin:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def execute(self, query: str, variables: dict[str, Any] | None) -> dict[str, Any]:
        """Validate then execute one GraphQL request, as GMS would."""
        self.documents.append((query, variables or {}))
        try:
            document = graphql.parse(query)
        except graphql.GraphQLError as exc:
            self.rejected.append((query, [exc.message]))
            return {"errors": [{"message": exc.message}]}
        errors = graphql.validate(self.schema, document)
        if errors:
            self.rejected.append((query, [e.message for e in errors]))
            return {"errors": [{"message": e.message} for e in errors]}
        result = graphql.execute_sync(
            self.schema, document, root_value=self._resolvers.root(), variable_values=variables
        )
        payload: dict[str, Any] = {"data": result.data}
        if result.errors:
            payload["errors"] = [{"message": e.message, "path": e.path} for e in result.errors]
        return payload

    def config(self) -> dict[str, Any]:
        return {
            "noCode": "true",
            "versions": {"acryldata/datahub": {"version": STANDIN_VERSION, "commit": "0" * 40}},
            "datahub": {"serverType": "standin"},
            "statefulIngestionCapable": True,
            "patchCapable": True,
        }

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:
                return

            def _send(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _guard(self) -> bool:
                """Apply the failure mode and the token check; True if the request may proceed."""
                if standin.latency_s:
                    time.sleep(standin.latency_s)
                if standin.mode == "slow":
                    time.sleep(standin.slow_s)
                if standin.mode in ("401", "403", "500"):
                    status = int(standin.mode)
                    self._send(status, {"message": f"stand-in mode {standin.mode}", "status": status})
                    return False
                if standin.token and self.headers.get("Authorization") != f"Bearer {standin.token}":
                    self._send(401, {"message": "Unauthorized", "status": 401})
                    return False
                return True

            def _body(self) -> Any:
                length = int(self.headers.get("Content-Length") or 0)
                return json.loads(self.rfile.read(length) or b"{}")

            def do_GET(self) -> None:
                standin.requests.append(f"GET {self.path}")
                if not self._guard():
                    return
                parsed = urllib.parse.urlsplit(self.path)
                if parsed.path == "/config":
                    self._send(200, standin.config())
                elif parsed.path.startswith("/aspects/"):
                    self._get_aspect(parsed)
                else:
                    self._send(404, {"message": f"no route {parsed.path}"})

            def _get_aspect(self, parsed: urllib.parse.SplitResult) -> None:
                from datahub.emitter.aspect import ASPECT_MAP

                urn = urllib.parse.unquote(parsed.path[len("/aspects/") :])
                name = urllib.parse.parse_qs(parsed.query)["aspect"][0]
                value = standin.store.get(urn).get(name)
                if value is None:
                    self._send(404, {"message": "not found"})
                    return
                fullname = ASPECT_MAP[name].RECORD_SCHEMA.fullname.replace(".pegasus2avro", "")
                self._send(200, {"aspect": {fullname: value}})

            def do_POST(self) -> None:
                standin.requests.append(f"POST {self.path}")
                if not self._guard():
                    return
                parsed = urllib.parse.urlsplit(self.path)
                body = self._body()
                if parsed.path == "/api/graphql":
                    self._send(200, standin.execute(body.get("query", ""), body.get("variables")))
                elif parsed.path == "/aspects" and "action=ingestProposalBatch" in parsed.query:
                    queued = str(body.get("async", "false")).lower() == "true"
                    for proposal in body["proposals"]:
                        standin.proposals.append(proposal)
                        standin.store.submit(proposal, queued=queued)
                    self._send(200, {"value": [p["entityUrn"] for p in body["proposals"]]})
                elif parsed.path == "/aspects" and "action=ingestProposal" in parsed.query:
                    standin.proposals.append(body["proposal"])
                    queued = str(body.get("async", "false")).lower() == "true"
                    standin.store.submit(body["proposal"], queued=queued)
                    self._send(200, {"value": body["proposal"]["entityUrn"]})
                else:
                    self._send(404, {"message": f"no route {parsed.path}?{parsed.query}"})

        return Handler


def timed_requests(catalog: Any) -> list[tuple[float, float, str]]:
    """Record (start, end, document) of every GraphQL request a GMS adapter sends from now on, as the
    client sees it (the wait for the answer and its decoding)."""
    spans: list[tuple[float, float, str]] = []
    send = catalog._graphql

    def timed(name: str, variables: dict[str, Any]) -> Any:
        started = time.perf_counter()
        try:
            return send(name, variables)
        finally:
            spans.append((started, time.perf_counter(), name))

    catalog._graphql = timed
    return spans


def _trim_custom(info: dict[str, Any]) -> dict[str, Any]:
    """assertionInfo as the OSS server stores it: CustomAssertionInfo has type, entity, field, logic."""
    custom = info.get("customAssertion")
    if not custom:
        return info
    kept = {k: v for k, v in custom.items() if k in ("type", "entity", "field", "logic")}
    return {**info, "customAssertion": kept}
