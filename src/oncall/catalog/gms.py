"""The server adapter: a real DataHub (GMS) through GraphQL reads and SDK writes.

Reads are the `.graphql` documents in `oncall/catalog/graphql/` (package data, each validated in the
tests against DataHub's schema), posted to `{gms}/api/graphql` with variables only: no query text is
ever built from user input. Writes go through `DataHubGraph.emit`; tags and links use the SDK's PATCH
builders so other people's tags and links on the same entity survive. `get_aspect` reads the full
aspect over the SDK's REST call (GraphQL exposes raw aspects on only some entity types).

Errors: unreachable or timed out -> `CatalogUnavailableError`; 401/403 -> `CatalogAuthError`; any
other HTTP or GraphQL error -> `CatalogError` naming the status and the server's message.
"""

from __future__ import annotations

import functools
import importlib.resources
import itertools
import json
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal, TypeVar

import httpx

from oncall.catalog import assertion_info, gms_scan
from oncall.catalog import run_events as feed
from oncall.catalog._telemetry import telemetry_off
from oncall.catalog.base import Direction, parallel, record_query
from oncall.catalog.graph import LineageGraph
from oncall.catalog.search import SearchRow, rank, tokens
from oncall.catalog.siblings import merge_entities, representative
from oncall.catalog.types import (
    Assertion,
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
)
from oncall.catalog.urns import ACTOR, in_instance, parse_urn
from oncall.errors import CatalogAuthError, CatalogError, CatalogUnavailableError, NotFoundError, UserError

__all__ = ["GmsCatalog", "document", "document_names"]

_TYPES: dict[str, str] = {
    "dataset": "DATASET",
    "chart": "CHART",
    "dashboard": "DASHBOARD",
    "dataJob": "DATA_JOB",
}
_SEARCHED = ("dataset", "chart", "dashboard")
"""What a search without `types` returns (data jobs are found by asking for them)."""
_TYPE_OF = {v: k for k, v in _TYPES.items()}
_PRIORITY = {"CRITICAL": 0, "HIGH": 1, "MEDIUM": 2, "LOW": 3}
_PAGE = 5000
"""Results per page of the latest-results scan (each row carries its assertions and their latest run):
what DataHub's own SDK asks for (`get_urns_by_filter`), GMS's default `limit.results.apiDefault`, half
its `max` (10,000); a page is one round trip, and they follow each other."""
_LIGHT_PAGE = 10_000
"""Results per page of the scrolls whose rows are small (a lineage row, a listed URN): GMS's
`limit.results.max`, so a downstream walk of 20,000 entities is two round trips in a row, not four."""
_ENTITIES_BATCH = 100
"""URNs per `entities(urns:)` request for pages."""
_DESCRIBE_BATCH = (250, 1000)
"""URNs per `entities(urns:)` request for what the semantic index reads (no nested searches): at
least, and at most when more fill one wave of requests (`_batches`)."""
_OWNERS_BATCH = (500, 1500)
"""The same for owners only (a blast radius is thousands: 9,452 at 100k datasets, one wave)."""
_ASSERTIONS_BATCH = (50, 100)
"""The same for datasets with their assertions and run history (a heavy document)."""
_VERSION_PERIOD_S = 3600
"""How long a count of the entities stands for their list (`entities_version`)."""
_SEEN_SIBLINGS_MAX = 100_000
"""Sibling-group members the adapter remembers between reads (a few MB)."""
_PARALLEL = 8
"""Requests in flight at once when a read is split into independent requests (`gms_parallel`): a
root-cause walk scrolls the lineage of every sibling-group member of the regressed datasets (ten or so),
and a first run reads the semantic index's entities in batches; at 8 each is one or two waves."""
_FIRST_POLL_S = 0.05
_MAX_POLL_S = 1.0

T = TypeVar("T")


def document_names() -> list[str]:
    """Names of the GraphQL documents shipped with the package."""
    root = importlib.resources.files("oncall.catalog") / "graphql"
    return sorted(p.name[: -len(".graphql")] for p in root.iterdir() if p.name.endswith(".graphql"))


@functools.cache
def document(name: str) -> str:
    """The text of `graphql/<name>.graphql`."""
    return (importlib.resources.files("oncall.catalog") / "graphql" / f"{name}.graphql").read_text("utf-8")


class GmsCatalog:
    """`Catalog` over a DataHub GMS server.

    Args:
        server: GMS base URL, e.g. http://localhost:8080.
        token: personal access token (sent as a Bearer token) or None.
        timeout_s: seconds before a request counts as timed out.
        read_only: refuse writes.
        write_retries: SDK retries of a failed write (5xx/429) before it is reported.
        index_wait_s: how long `until_indexed` waits for the server's index to show our writes.
        parallel: requests in flight at once when a read splits into independent requests.
    """

    backend = "gms"

    def __init__(
        self,
        server: str,
        *,
        token: str | None = None,
        timeout_s: float = 10.0,
        read_only: bool = False,
        write_retries: int = 2,
        index_wait_s: float = 60.0,
        parallel: int = _PARALLEL,
    ) -> None:
        if parallel < 1:
            raise UserError(f"gms_parallel must be at least 1, not {parallel}")
        self.parallel = parallel
        self.server = server.rstrip("/")
        self.index_wait_s = float(index_wait_s)
        self.token = token
        self.timeout_s = float(timeout_s)
        self.read_only = read_only
        self.write_retries = write_retries
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(base_url=self.server, headers=headers, timeout=self.timeout_s)
        self._graph: Any = None
        self._named_cache: dict[tuple[str, str], str | None] = {}
        # Sibling groups as the last page or lineage scroll showed them: a walk from a group scrolls
        # its members with the page request instead of after it (the page still decides who is one).
        self._seen_siblings: dict[str, tuple[str, ...]] = {}

    @classmethod
    def from_config(cls, config: Any, *, read_only: bool = False) -> GmsCatalog:
        """Build from `config.gms_url`, `gms_token`, `gms_timeout_s` and `gms_parallel`."""
        return cls(
            config.gms_url,
            token=config.gms_token,
            timeout_s=config.gms_timeout_s,
            read_only=read_only,
            parallel=config.gms_parallel,
        )

    def server_config(self) -> dict[str, Any]:
        """Connection settings for a `datahub-rest` ingestion sink."""
        return {"server": self.server, "token": self.token, "timeout_sec": self.timeout_s}

    def ingest_sink(self) -> dict[str, Any]:
        """The DataHub ingestion sink that writes to this server."""
        return {"type": "datahub-rest", "config": self.server_config()}

    # ----------------------------------------------------------------------------- transport

    def _http_call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TimeoutException as exc:
            raise CatalogUnavailableError(
                f"DataHub GMS at {self.server} did not answer within {self.timeout_s:g} s "
                "(raise gms_timeout_s / ONCALL_GMS_TIMEOUT if the server is just slow)"
            ) from exc
        except httpx.HTTPError as exc:
            raise CatalogUnavailableError(
                f"cannot reach DataHub GMS at {self.server} ({exc}); check DATAHUB_GMS_URL / gms_url "
                "and that the server is running"
            ) from exc
        self._check_status(response.status_code, response.text)
        return response

    def _check_status(self, status: int, body: str) -> None:
        if status in (401, 403):
            raise CatalogAuthError(
                f"DataHub GMS at {self.server} refused the request ({status}); set DATAHUB_GMS_TOKEN "
                "(gms_token) to a valid personal access token with the needed privileges"
            )
        if status >= 500:
            raise CatalogError(f"DataHub GMS at {self.server} failed with HTTP {status}: {body[:300]}")
        if status >= 400:
            raise CatalogError(
                f"DataHub GMS at {self.server} rejected the request (HTTP {status}): {body[:300]}"
            )

    def _graphql(self, name: str, variables: dict[str, Any]) -> dict[str, Any]:
        """Run one packaged document with variables; returns `data` or raises on `errors`."""
        text = document(name)
        record_query("graphql", text, variables)
        response = self._http_call("POST", "/api/graphql", json={"query": text, "variables": variables})
        try:
            payload = response.json()
        except ValueError as exc:
            raise CatalogError(f"DataHub GMS at {self.server} answered {name} with non-JSON") from exc
        errors = payload.get("errors")
        if errors:
            messages = "; ".join(str(e.get("message", e)) for e in errors)
            raise CatalogError(f"DataHub GMS rejected GraphQL {name}: {messages}")
        return payload.get("data") or {}

    def _parallel(self, calls: Sequence[Callable[[], T]]) -> list[T]:
        return parallel(calls, at_most=self.parallel)

    def _sdk(self) -> Any:
        """The SDK client for writes and full-aspect reads (created on first use; checks /config)."""
        if self._graph is None:
            from datahub.ingestion.graph.client import DataHubGraph
            from datahub.ingestion.graph.config import DatahubClientConfig

            telemetry_off()

            config = DatahubClientConfig(
                server=self.server,
                token=self.token,
                timeout_sec=self.timeout_s,
                retry_max_times=self.write_retries,
            )
            self._graph = self._sdk_call(lambda: DataHubGraph(config), "connect to")
        return self._graph

    def _sdk_call(self, call: Any, action: str) -> Any:
        """Run an SDK call, mapping its exceptions onto the catalog error tree."""
        import requests

        try:
            return call()
        except requests.Timeout as exc:
            raise CatalogUnavailableError(
                f"DataHub GMS at {self.server} did not answer within {self.timeout_s:g} s"
            ) from exc
        except requests.ConnectionError as exc:
            raise CatalogUnavailableError(f"cannot reach DataHub GMS at {self.server} ({exc})") from exc
        except requests.HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else 0
            self._check_status(status, exc.response.text if exc.response is not None else "")
            raise CatalogError(f"cannot {action} DataHub GMS at {self.server}: {exc}") from exc
        except Exception as exc:
            text = str(exc)
            info = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], dict) else {}
            status = int(info.get("status") or _cause_status(exc) or 0)
            if status or "401" in text or "authentication" in text.lower():
                self._check_status(status or 401, text)
            if "Max retries exceeded" in text or "Connection refused" in text:
                raise CatalogUnavailableError(f"cannot reach DataHub GMS at {self.server} ({text})") from exc
            if "timed out" in text.lower():
                raise CatalogUnavailableError(f"DataHub GMS at {self.server} timed out ({text})") from exc
            raise CatalogError(f"cannot {action} DataHub GMS at {self.server}: {text}") from exc

    # ----------------------------------------------------------------------------- reads

    def exists(self, urn: str) -> bool:
        """`entityExists` on the server."""
        return bool(self._graphql("entity_exists", {"urn": urn}).get("entityExists"))

    def get(self, urn: str) -> Entity:
        """The entity page of `urn` (NotFoundError if unknown); a sibling group reads as one entity."""
        found = self.get_many([urn]).get(urn)
        if found is None:
            raise NotFoundError(f"{urn} is not in the catalog; find URNs with `oncall catalog search`")
        return found

    def get_many(self, urns: Sequence[str]) -> dict[str, Entity]:
        """The pages, `_ENTITIES_BATCH` entities a request, sent side by side; unknown URNs left out."""
        return self._pages_of(urns, "get_entities", _ENTITIES_BATCH)

    def describe_many(self, urns: Sequence[str]) -> dict[str, Entity]:
        """From a document without incidents, links and lineage (a server resolves those per entity),
        `_DESCRIBE_BATCH` entities a request."""
        return self._pages_of(urns, "describe_entities", _DESCRIBE_BATCH)

    def _batches(self, urns: list[str], size: int | tuple[int, int]) -> list[list[str]]:
        """`urns` in requests of `size` (or of `(least, most)`: as few as fill one wave of
        `parallel` requests, so a long list is not waves of small ones), in order."""
        least, most = (size, size) if isinstance(size, int) else size
        step = min(most, max(least, -(-len(urns) // self.parallel)))
        return [urns[i : i + step] for i in range(0, len(urns), step)]

    def _pages_of(self, urns: Sequence[str], document: str, size: int | tuple[int, int]) -> dict[str, Entity]:
        """`document`'s answers as group entities; unknown URNs left out."""
        found = self._batched(urns, document, size)
        return {
            urn: _group_entity(data) for urn, data in found.items() if data is not None and _present(data)
        }

    def _batched(
        self, urns: Sequence[str], document: str, size: int | tuple[int, int]
    ) -> dict[str, dict[str, Any] | None]:
        """`document`'s `entities(urns:)` in batches (`_batches`), sent side by side: each URN's answer."""
        wanted = list(dict.fromkeys(urns))
        for urn in wanted:
            parse_urn(urn)
        batches = self._batches(wanted, size)
        answers = self._parallel([functools.partial(self._entities, document, b, {}) for b in batches])
        self._remember_siblings(d for datas in answers for d in datas if d)
        return {
            u: d
            for batch, datas in zip(batches, answers, strict=True)
            for u, d in zip(batch, datas, strict=True)
        }

    def owners_many(self, urns: Sequence[str]) -> dict[str, list[str]]:
        """The owners as the entity pages (`get_many`) merge them, from a document that reads only them:
        `_OWNERS_BATCH` entities a request, sent side by side."""
        found = self._batched(urns, "entity_owners", _OWNERS_BATCH)
        return {
            urn: _group_owners(data) if data is not None and _present(data) else []
            for urn, data in found.items()
        }

    def _entities(self, name: str, urns: list[str], variables: dict[str, Any]) -> list[dict[str, Any] | None]:
        """One `entities(urns:)` document: the server's answer for each URN, in order."""
        data = self._graphql(name, {"urns": urns, **variables}).get("entities") or []
        by_urn = {d["urn"]: d for d in data if d and d.get("urn")}
        return [by_urn.get(u) for u in urns]

    def search(
        self,
        text: str,
        *,
        types: Sequence[EntityType] | None = None,
        instance: str | None = None,
        limit: int = 20,
    ) -> list[SearchHit]:
        """Server search for candidates, re-ranked with the shared scoring (same reasons as Lite)."""
        query = tokens(text)
        if query.urn:
            if not self.exists(query.urn):
                return []
            entity = self.get(query.urn)
            ref = EntityRef(**{k: getattr(entity, k) for k in EntityRef.model_fields})
            return [SearchHit(ref=ref, score=100.0, reasons=["URN given"])]
        if not query.words and not query.type_words:
            return []
        wanted = _check_types(types)
        candidates: dict[str, tuple[EntityRef, list[SearchRow]]] = {}
        # One server query per content word (at most 4, sent side by side): the union does not depend
        # on whether the server ANDs or ORs the words of one query; ranking then happens here.
        calls = [
            functools.partial(
                self._graphql,
                "search_entities",
                {
                    "query": " ".join(words),
                    "types": [_TYPES[t] for t in wanted],
                    "count": min(max(limit * 3, 30), 200),
                    "orFilters": _instance_filter(instance),
                },
            )
            for words in [[w] for w in query.words[:4]] or [["*"]]
        ]
        for answer in self._parallel(calls):
            data = answer["searchAcrossEntities"] or {}
            for result in data.get("searchResults") or []:
                entity = result["entity"]
                if _TYPE_OF.get(entity.get("type", "")) is None or (entity.get("status") or {}).get(
                    "removed"
                ):
                    continue
                ref, rows = _merged_card(entity)
                if not instance or ref.instance == instance:
                    known = candidates.get(ref.urn)
                    candidates[ref.urn] = (ref, rows if known is None else known[1])
        return rank(query, candidates, limit)

    def lineage(
        self, urn: str, *, direction: Direction = "upstream", hops: int | None = None
    ) -> list[LineageNode]:
        """`scrollAcrossLineage` with the degree filter; each node at its shortest path.

        Sibling groups are single nodes: the walk starts from every member of the start's group, and
        every path is collapsed onto the groups' URNs, so the COPY edge between a dbt model and its
        table is not a hop. A merged node may cost the server one extra hop, so a bounded walk asks
        for up to `2 * hops + 1` server hops and cuts after collapsing.
        """
        if direction not in ("upstream", "downstream"):
            raise UserError(f"direction must be 'upstream' or 'downstream', not {direction!r}")
        server_hops = None if hops is None else 2 * hops + 1
        degrees = (
            ["1", "2", "3+"]
            if server_hops is None or server_hops >= 3
            else [str(d) for d in range(1, server_hops + 1)]
        )
        starts, scrolls = self._scroll_members([urn], direction, degrees)
        start = starts[urn]
        results = [r for member in [start.urn, *start.siblings] for r in scrolls[member]]
        reps: dict[str, str] = dict.fromkeys([start.urn, *start.siblings], start.urn)
        reps |= _reps_of([r.get("entity") or {} for r in results])
        others = _others_of(reps)
        nodes: dict[str, LineageNode] = {}
        own: dict[str, EntityRef] = {}
        for result in results:
            node = _lineage_node(start.urn, result, reps, others)
            if node is None or node.ref.urn == start.urn or (hops is not None and node.hops > hops):
                continue
            mine = node.ref.urn == result["entity"]["urn"]
            if mine:
                own[node.ref.urn] = node.ref
            known = nodes.get(node.ref.urn)
            if known is None or (node.hops, not mine) < (known.hops, False):
                nodes[node.ref.urn] = node
        # A merged node is named as its representative names itself, whichever member was nearer.
        merged = [n.model_copy(update={"ref": own.get(n.ref.urn, n.ref)}) for n in nodes.values()]
        return sorted(merged, key=lambda n: (n.hops, n.ref.urn))

    def lineage_graph(self, urns: Sequence[str], *, direction: Direction = "upstream") -> LineageGraph:
        """The starts' pages in one request, then one `scrollAcrossLineage` per sibling-group member,
        sent side by side; the graph is the union of the returned paths, collapsed onto groups (every
        node `lineage` lists for a start lies on one of its paths)."""
        if direction not in ("upstream", "downstream"):
            raise UserError(f"direction must be 'upstream' or 'downstream', not {direction!r}")
        wanted = list(dict.fromkeys(urns))
        starts, by_member = self._scroll_members(wanted, direction, ["1", "2", "3+"])
        nodes = {e.urn: e for e in starts.values()}
        members = {m: node for node, e in nodes.items() for m in [node, *e.siblings]}
        scrolls = [by_member[m] for m in members]
        graph = LineageGraph(direction=direction, starts={u: starts[u].urn for u in wanted})
        reps = dict(members)
        for results in scrolls:
            reps |= _reps_of([r.get("entity") or {} for r in results])
        others = _others_of(reps)
        edges: dict[str, dict[str, None]] = {node: {} for node in nodes}
        for start, results in zip(members.values(), scrolls, strict=True):
            for result in results:
                ref = _node_ref(result, reps, others)  # the paths are read once, for the edges
                if ref is None:
                    continue
                own = result["entity"]["urn"] == ref.urn
                if ref.urn != start and (own or ref.urn not in graph.refs):
                    graph.refs[ref.urn] = ref
                for path in _collapsed_paths(start, result, reps):
                    for near, far in itertools.pairwise(path):
                        edges.setdefault(near, {})[far] = None
                        edges.setdefault(far, {})
        graph.edges = {node: list(far) for node, far in edges.items()}
        return graph

    def _scroll_members(
        self, urns: list[str], direction: str, degrees: list[str]
    ) -> tuple[dict[str, Entity], dict[str, list[dict[str, Any]]]]:
        """The pages of `urns` (NotFoundError for an unknown one) and the lineage scroll of every member
        of their sibling groups: the given URNs' scrolls, and those of the siblings an earlier page or
        scroll showed, go out with the page request; members the pages name that were not seen before
        once the pages answer (a second round trip only then)."""
        for urn in urns:
            parse_urn(urn)
        scroll = functools.partial(self._scroll_lineage, direction=direction, degrees=degrees)
        seen = self._seen_siblings
        guessed = list(dict.fromkeys([*urns, *(m for u in urns for m in seen.get(u, ()))]))
        first: list[Any] = self._parallel(
            [functools.partial(self.get_many, urns), *(functools.partial(scroll, u) for u in guessed)]
        )
        starts: dict[str, Entity] = first[0]
        for urn in urns:
            if urn not in starts:
                raise NotFoundError(f"{urn} is not in the catalog; find URNs with `oncall catalog search`")
        members = list(dict.fromkeys(m for e in starts.values() for m in [e.urn, *e.siblings]))
        early = dict(zip(guessed, first[1:], strict=True))
        rest = [m for m in members if m not in early]  # siblings the pages name that were not seen before
        late = dict(zip(rest, self._parallel([functools.partial(scroll, m) for m in rest]), strict=True))
        # The pages' members only (the given URNs among them): a member guessed from an older read
        # that is no longer in the group is dropped.
        scrolls = {m: early[m] if m in early else late[m] for m in members}
        return starts, scrolls

    def _scroll_lineage(self, urn: str, direction: str, degrees: list[str]) -> list[dict[str, Any]]:
        results: list[dict[str, Any]] = []
        scroll: str | None = None
        while True:
            variables = {
                "urn": urn,
                "direction": direction.upper(),
                "degrees": degrees,
                "scrollId": scroll,
                "count": _LIGHT_PAGE,
            }
            data = self._graphql("scroll_lineage", variables)["scrollAcrossLineage"] or {}
            page = data.get("searchResults") or []
            self._remember_siblings(r.get("entity") or {} for r in page)
            results += page
            scroll = data.get("nextScrollId")
            if not scroll:
                return results

    def _remember_siblings(self, entities: Iterable[dict[str, Any]]) -> None:
        """File each dataset's group (pages and scrolls select its siblings) under every member; a
        dataset seen alone is forgotten, so only groups are kept, and at most `_SEEN_SIBLINGS_MAX`
        members (a long-lived console or MCP server starts over past that: it is only ever a guess)."""
        seen = self._seen_siblings
        for entity in entities:
            if entity.get("urn") and "siblings" in entity:
                group = list(_flags(entity))
                if len(group) == 1:
                    seen.pop(group[0], None)
                    continue
                if len(seen) >= _SEEN_SIBLINGS_MAX:
                    seen.clear()
                seen |= {m: tuple(o for o in group if o != m) for m in group}

    def twin(self, urn: str, instance: str | None) -> str | None:
        """The same table/chart/dashboard in `instance` (None: no instance), if the server has it."""
        parse_urn(urn)
        (data,) = self._entities("get_entities", [urn], {})
        current = _ref(data).instance if data and _present(data) else None
        other = in_instance(urn, instance, current=current)
        return other if other is not None and self.exists(other) else None

    def assertions(self, dataset_urn: str, *, history: int = 20) -> list[Assertion]:
        """Assertions on a node (the dataset and its siblings) with their newest `history` runs."""
        return self.assertions_many([dataset_urn], history=history)[dataset_urn]

    def assertions_many(
        self, dataset_urns: Sequence[str], *, history: int = 20
    ) -> dict[str, list[Assertion]]:
        """`entities(urns:)` with assertions and runs, 50-100 datasets a request, sent side by side."""
        wanted = list(dict.fromkeys(dataset_urns))
        batches = self._batches(wanted, _ASSERTIONS_BATCH)
        variables = {"history": max(history, 1)}
        answers = self._parallel(
            [functools.partial(self._entities, "datasets_assertions", b, variables) for b in batches]
        )
        out: dict[str, list[Assertion]] = {}
        for batch, datas in zip(batches, answers, strict=True):
            for urn, data in zip(batch, datas, strict=True):
                out[urn] = self._node_assertions(data or {}, history)
        return out

    def _node_assertions(self, dataset: dict[str, Any], history: int) -> list[Assertion]:
        if not dataset:
            return []
        rep = _rep(_flags(dataset))
        members = [dataset, *((dataset.get("siblings") or {}).get("siblings") or [])]
        found: dict[str, Assertion] = {}
        for member in members:
            for a in ((member or {}).get("assertions") or {}).get("assertions") or []:
                events = (a.get("runEvents") or {}).get("runEvents") or [] if history > 0 else []
                runs = sorted(
                    (assertion_info.run(_stored_event(e)) for e in events), key=lambda r: -r.timestamp_ms
                )
                found[a["urn"]] = assertion_info.assertion(
                    a["urn"],
                    _stored_info(a, member["urn"]),
                    runs[: max(history, 0)],
                    dataset_urn=rep,
                    platform=(a.get("platform") or {}).get("name"),
                )
        resolved = assertion_info.resolve_references(sorted(found.values(), key=lambda x: x.urn), self._named)
        return assertion_info.mark_stale(resolved)

    def failing_assertions(self, instance: str | None = None) -> dict[str, list[str]]:
        """A scroll over the datasets (of `instance`) with each assertion's latest completed result,
        `_PAGE` datasets a request. DataHub's `hasFailingAssertions` index flag is not used: its hook
        skips CUSTOM assertions (dbt tests, Snowflake DMFs) and keeps the last *written* result.

        A scroll's pages follow each other (20 at 100,000 datasets), so the first page goes out beside
        a count of the datasets per platform; when there is more than one page, the scan is read again
        as parts side by side (`gms_scan.scan_parts`: one or two per platform, one for the platforms
        the count left out), as many pages in a row as the biggest part has. A sibling group is read
        through one member and answered under its representative; a group the counts show was left
        out of every part is read after all (`gms_scan.lost_groups`). A server without the
        aggregation is read as one scroll."""
        base = _instance_filter(instance)
        answers: list[Any] = self._parallel(
            [
                functools.partial(self._latest_page, base, None),
                functools.partial(self._dataset_platforms, base),
            ]
        )
        (results, scroll, total), platforms = answers
        if scroll and platforms:
            parts = gms_scan.scan_parts(base, platforms, page=_PAGE)
            read = self._parallel([functools.partial(self._latest, p.filters) for p in parts])
            lost = gms_scan.lost_groups(base, platforms, total, parts, read)
            read += self._parallel([functools.partial(self._latest, f) for f in lost]) if lost else []
            results = [r for part in read for r in part]
        elif scroll:
            results += self._latest(base, scroll)
        found: dict[str, set[str]] = {}
        for result in results:
            entity = result["entity"]
            got = (entity.get("dataPlatformInstance") or {}).get("instanceId")
            if instance is not None and got != instance:
                continue
            members = [entity, *((entity.get("siblings") or {}).get("siblings") or [])]
            failing = {
                a["urn"]
                for member in members
                for a in ((member or {}).get("assertions") or {}).get("assertions") or []
                if _latest_result(a) == "FAILURE"
            }
            if failing:  # a group under its representative (as list_urns lists it), read from any member
                found.setdefault(_rep(_flags(entity)), set()).update(failing)
        return {urn: sorted(failing) for urn, failing in sorted(found.items())}

    def _latest_page(
        self, or_filters: list[dict[str, Any]] | None, scroll: str | None
    ) -> tuple[list[dict[str, Any]], str | None, int | None]:
        """One page of the latest-results scroll, the next page's scroll id and the scroll's total."""
        variables = {"scrollId": scroll, "count": _PAGE, "orFilters": or_filters}
        data = self._graphql("scroll_latest_results", variables)["scrollAcrossEntities"] or {}
        return data.get("searchResults") or [], data.get("nextScrollId"), data.get("total")

    def _latest(
        self, or_filters: list[dict[str, Any]] | None, scroll: str | None = None
    ) -> list[dict[str, Any]]:
        """Every page of the latest-results scroll from `scroll` on (from the start when None)."""
        results: list[dict[str, Any]] = []
        while True:
            page, scroll, _total = self._latest_page(or_filters, scroll)
            results += page
            if not scroll:
                return results

    def _dataset_platforms(self, or_filters: list[dict[str, Any]] | None) -> dict[str, int]:
        """The platforms the server counts datasets of (the biggest, as many as it aggregates), by
        platform; none from a server that cannot aggregate (the scan is then one scroll)."""
        try:
            data = self._graphql("dataset_platforms", {"orFilters": or_filters})
        except (CatalogAuthError, CatalogUnavailableError):
            raise
        except CatalogError:  # no aggregateAcrossEntities (an older GMS), or no platform facet
            return {}
        facets = (data.get("aggregateAcrossEntities") or {}).get("facets") or []
        counts = {
            a["value"]: int(a["count"])
            for f in facets
            if f.get("field") == "platform"
            for a in f.get("aggregations") or []
            if a.get("value") and (a.get("count") or 0) > 0
        }
        return dict(sorted(counts.items()))

    def _named(self, near: str, name: str) -> str | None:
        """The node of the dataset called `name` next to `near` (same platform, env and schema), else
        the closest dataset of that name the server's search finds."""
        cache = self._named_cache
        key = (near, name.lower())
        if key not in cache:
            candidate = _sibling_name(near, name)
            try:
                cache[key] = self.get(candidate).urn
            except NotFoundError:
                hits = [
                    h.ref.urn
                    for h in self.search(name, types=["dataset"], limit=20)
                    if h.ref.name.lower() == name.lower()
                    or name.lower() in {s.lower() for s in h.ref.siblings}
                ]
                cache[key] = assertion_info.closest(hits, near)
        return cache[key]

    def incidents(self, urn: str, *, state: Literal["ACTIVE", "RESOLVED"] | None = None) -> list[Incident]:
        """Incidents naming `urn`, newest first."""
        entity = self._graphql("entity_incidents", {"urn": urn, "state": state}).get("entity") or {}
        found = [_incident(i) for i in (entity.get("incidents") or {}).get("incidents") or []]
        return sorted(found, key=lambda i: (-(i.created_ms or 0), i.urn))

    def get_aspect(self, urn: str, aspect: type[Any]) -> Any | None:
        """The current aspect via the SDK (timeseries aspects: the latest value by timestamp)."""
        graph = self._sdk()
        if aspect.get_aspect_type() == "timeseries":
            return self._sdk_call(lambda: graph.get_latest_timeseries_value(urn, aspect, {}), "read from")
        return self._sdk_call(lambda: graph.get_aspect(urn, aspect), "read from")

    def list_urns(
        self,
        entity_type: EntityType | None = None,
        instance: str | None = None,
        *,
        at_most: int | None = None,
    ) -> list[str]:
        """Every URN of a type (and instance), sorted; with `at_most`, no page is read once more than
        that many are in (a 100k catalog is 10 pages of 10,000, read one after the other)."""
        wanted = _check_types([entity_type] if entity_type else None)
        found = self._scroll(wanted, _instance_filter(instance), representatives=True, at_most=at_most)
        return sorted(urn for urn, got in found.items() if instance is None or got == instance)

    def entities_version(self) -> str | None:
        """The number of entities `list_urns()` counts, and the hour: GMS keeps no change counter, and
        listing every entity each run is a scroll of pages of 10,000, one after the other. An entity
        added or removed changes the count; a swap of one for another, or a rename, is seen within the
        hour, when the token turns and the semantic index checks the whole list again."""
        data = self._graphql("count_entities", {"types": [_TYPES[t] for t in _check_types(None)]})
        total = (data.get("searchAcrossEntities") or {}).get("total")
        return f"gms:{total}:{_version_period()}"

    def _scroll(
        self,
        wanted: list[str],
        or_filters: list[dict[str, Any]] | None,
        *,
        representatives: bool = False,
        at_most: int | None = None,
    ) -> dict[str, str | None]:
        """URN -> platform instance of every entity of these types matching the filters (of each
        sibling group only its representative, when asked); the pages stop once more than `at_most`
        are in."""
        urns: dict[str, str | None] = {}
        scroll: str | None = None
        while True:
            variables = {
                "types": [_TYPES[t] for t in wanted],
                "scrollId": scroll,
                "count": _LIGHT_PAGE,
                "orFilters": or_filters,
            }
            data = self._graphql("scroll_entities", variables)["scrollAcrossEntities"] or {}
            for result in data.get("searchResults") or []:
                entity = result["entity"]
                if representatives and _rep(_flags(entity)) != entity["urn"]:
                    continue  # a sibling group is listed once, as its representative
                urns[entity["urn"]] = (entity.get("dataPlatformInstance") or {}).get("instanceId")
            scroll = data.get("nextScrollId")
            if not scroll or (at_most is not None and len(urns) > at_most):
                break
        return urns

    def tagged(self, tag_urn: str, *, context: str | None = None) -> list[str]:
        """Entities the server's index finds with the tag, confirmed (and context-checked) by aspect."""
        import datahub.metadata.schema_classes as m

        hits = self._scroll(_check_types(None), [{"and": [{"field": "tags", "values": [tag_urn]}]}])
        out = []
        for urn in sorted(hits):
            tags = self.get_aspect(urn, m.GlobalTagsClass)
            mine = [t for t in (tags.tags if tags else []) if t.tag == tag_urn]
            if any(context is None or t.context == context for t in mine):
                out.append(urn)
        return out

    def open_incidents(self, *, created_by: str | None = None) -> list[Incident]:
        """ACTIVE incidents of every entity the index flags with `hasActiveIncidents`, newest first."""
        flagged = self._scroll(
            _check_types(None), [{"and": [{"field": "hasActiveIncidents", "values": ["true"]}]}]
        )
        found: dict[str, Incident] = {}
        for urn in sorted(flagged):
            for incident in self.incidents(urn, state="ACTIVE"):
                if created_by is None or incident.created_by == created_by:
                    found.setdefault(incident.urn, incident)
        return sorted(found.values(), key=lambda i: (-(i.created_ms or 0), i.urn))

    def all_incidents(self, *, state: Literal["ACTIVE", "RESOLVED"] | None = None) -> list[Incident]:
        """Every incident, newest first. GraphQL lists incidents per entity only: ACTIVE ones come from
        the entities the index flags (`open_incidents`); RESOLVED ones need every entity's list."""
        if state == "ACTIVE":
            return self.open_incidents()
        found: dict[str, Incident] = {}
        for urn in self.list_urns():
            for incident in self.incidents(urn, state=state):
                found.setdefault(incident.urn, incident)
        return sorted(found.values(), key=lambda i: (-(i.created_ms or 0), i.urn))

    def run_events(self, after: int, *, limit: int = 5000) -> tuple[list[RunEvent], int]:
        """Run events since `after` less the index-lag overlap, by time (see `oncall.catalog.run_events`)."""
        since = max(after - feed.GMS_OVERLAP_MS, 0)
        events: list[RunEvent] = []
        scroll: str | None = None
        while True:
            variables = {"scrollId": scroll, "count": feed.GMS_PAGE, "since": since, "limit": limit}
            data = self._graphql("assertion_run_events", variables)["scrollAcrossEntities"] or {}
            for hit in data.get("searchResults") or []:
                events += feed.entity_events(hit.get("entity") or {})
            scroll = data.get("nextScrollId")
            if not scroll:
                break
        events.sort(key=lambda e: (e.timestamp_ms, e.assertion_urn))
        events = events[:limit]
        return events, max([after, *(e.position for e in events)])

    def ping(self) -> dict[str, Any]:
        """GET /config: whether the server answers and which DataHub version it runs.

        Never raises for a server that is down or refuses us: `ok` is False and `error` says why.
        """
        down = {"ok": False, "backend": "gms", "version": None, "location": self.server}
        try:
            config = self._http_call("GET", "/config").json()
        except CatalogError as exc:
            return {**down, "error": str(exc)}
        except ValueError:
            return {**down, "error": f"{self.server}/config is not JSON: is this the GMS endpoint (:8080)?"}
        info = (config.get("versions") or {}).get("acryldata/datahub") or {}
        return {
            "ok": True,
            "backend": "gms",
            "version": info.get("version") or "unknown",
            "commit": info.get("commit"),
            "location": self.server,
            "server_type": (config.get("datahub") or {}).get("serverType"),
            "no_code": config.get("noCode") == "true",
        }

    def until_indexed(self, check: Callable[[], T], *, what: str) -> T:
        """Run `check` until it stops raising `CatalogError`, for at most `index_wait_s`.

        GMS answers search, lineage, relationships (assertions, incidents) and timeseries from its
        index, which its consumers fill after a write has returned, and the REST sink's batches are
        only queued: a read right after our own writes may not show them yet. Unreachable server and
        refused token are not waited out.
        """
        deadline = time.monotonic() + self.index_wait_s
        pause = _FIRST_POLL_S
        while True:
            try:
                return check()
            except (CatalogUnavailableError, CatalogAuthError):
                raise
            except CatalogError as exc:
                if time.monotonic() + pause > deadline:
                    raise CatalogError(
                        f"{exc} (DataHub GMS at {self.server} still did not show {what} after "
                        f"{self.index_wait_s:g} s of waiting for its index)"
                    ) from exc
            time.sleep(pause)
            pause = min(pause * 2, _MAX_POLL_S)

    # ----------------------------------------------------------------------------- writes

    def _check_writable(self) -> None:
        if self.read_only:
            raise CatalogError(f"the catalog at {self.server} was opened read-only; open it for writing")

    def emit(self, mcps: Iterable[Any]) -> None:
        """Emit MCPs (full aspects or PATCH proposals); all are validated before the first is sent."""
        from datahub.emitter.mcp import MetadataChangeProposalWrapper
        from datahub.metadata.schema_classes import MetadataChangeProposalClass

        batch = list(mcps)
        for mcp in batch:
            if not isinstance(mcp, (MetadataChangeProposalWrapper, MetadataChangeProposalClass)):
                raise CatalogError(f"cannot emit {type(mcp).__name__}: expected an MCP")
            if isinstance(mcp, MetadataChangeProposalWrapper) and not mcp.validate():
                raise CatalogError(f"invalid MCP for {mcp.entityUrn} ({mcp.aspectName})")
        self._check_writable()
        graph = self._sdk()
        for mcp in batch:  # REST ingestProposal, not a query: nothing to record for tool_call events
            self._sdk_call(functools.partial(graph.emit, mcp), "write to")

    def _patch(self, urn: str) -> Any:
        from datahub.specific.chart import ChartPatchBuilder
        from datahub.specific.dashboard import DashboardPatchBuilder
        from datahub.specific.dataset import DatasetPatchBuilder

        base = {
            "dataset": DatasetPatchBuilder,
            "chart": ChartPatchBuilder,
            "dashboard": DashboardPatchBuilder,
        }
        kind = parse_urn(urn).entity_type
        builder = type(f"Oncall{base[kind].__name__}", (base[kind], _links_patch()), {})
        return builder(urn)

    def _apply(self, urn: str, build: Any) -> None:
        self._check_writable()
        if not self.exists(urn):
            raise NotFoundError(f"{urn} is not in the catalog; find URNs with `oncall catalog search`")
        self.emit(build(self._patch(urn)).build())

    def add_tags(self, urn: str, tag_urns: Sequence[str], *, context: str | None = None) -> None:
        """PATCH-add tags (other tags stay)."""
        import datahub.metadata.schema_classes as m

        def build(patch: Any) -> Any:
            for tag in dict.fromkeys(tag_urns):
                patch.add_tag(m.TagAssociationClass(tag=tag, context=context))
            return patch

        self._apply(urn, build)

    def remove_tags(self, urn: str, tag_urns: Sequence[str]) -> None:
        """PATCH-remove only these tags."""

        def build(patch: Any) -> Any:
            for tag in dict.fromkeys(tag_urns):
                patch.remove_tag(tag)
            return patch

        self._apply(urn, build)

    def add_links(self, urn: str, links: Sequence[tuple[str, str]]) -> None:
        """PATCH-add links keyed by url (same url = relabel)."""
        import datahub.metadata.schema_classes as m

        def build(patch: Any) -> Any:
            stamp = m.AuditStampClass(time=int(time.time() * 1000), actor=ACTOR)
            for url, label in links:
                patch.add_institutional_memory(
                    m.InstitutionalMemoryMetadataClass(url=url, description=label, createStamp=stamp)
                )
            return patch

        self._apply(urn, build)

    def remove_links(self, urn: str, urls: Sequence[str]) -> None:
        """PATCH-remove only the links with these urls."""

        def build(patch: Any) -> Any:
            for url in dict.fromkeys(urls):
                patch.remove_link(url)
            return patch

        self._apply(urn, build)

    def close(self) -> None:
        """Close the HTTP clients."""
        self._http.close()
        if self._graph is not None:
            self._graph.close()
            self._graph = None

    def __enter__(self) -> GmsCatalog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --------------------------------------------------------------------------------- response mapping


def _cause_status(exc: BaseException) -> int | None:
    """The HTTP status behind an SDK error (it wraps `requests.HTTPError` as its cause)."""
    seen = exc.__cause__ or exc.__context__
    while seen is not None:
        response = getattr(seen, "response", None)
        if response is not None and getattr(response, "status_code", None):
            return int(response.status_code)
        seen = seen.__cause__ or seen.__context__
    return None


@functools.cache
def _links_patch() -> type:
    """The SDK's institutional-memory patch mix-in plus the remove it lacks (same url key)."""
    from datahub.metadata.schema_classes import InstitutionalMemoryClass
    from datahub.specific.aspect_helpers.institutional_memory import HasInstitutionalMemoryPatch

    class LinksPatch(HasInstitutionalMemoryPatch):
        def remove_link(self, url: str) -> LinksPatch:
            self._add_patch(
                InstitutionalMemoryClass.ASPECT_NAME,
                "remove",
                path=("elements", url),
                value={},
                array_primary_keys={"elements": ["url"]},
            )
            return self

    return LinksPatch


def _version_period() -> int:
    """Which `_VERSION_PERIOD_S` it is."""
    return int(time.time() // _VERSION_PERIOD_S)


def _check_types(types: Sequence[EntityType] | None) -> list[str]:
    wanted: list[str] = list(types) if types else list(_SEARCHED)
    unknown = set(wanted) - set(_TYPES)
    if unknown:
        raise UserError(f"unknown entity type(s) {sorted(unknown)}; use dataset, chart, dashboard or dataJob")
    return wanted


def _instance_filter(instance: str | None) -> list[dict[str, Any]] | None:
    """Entities of platform instance `instance` on any platform: the instance URN ends `,<id>)`."""
    if not instance:
        return None
    return [{"and": [{"field": "platformInstance", "values": [f",{instance})"], "condition": "END_WITH"}]}]


def _present(data: dict[str, Any] | None) -> bool:
    """The entity exists with content and is not soft-deleted."""
    if not data or (data.get("status") or {}).get("removed"):
        return False
    keys = ("properties", "schemaMetadata", "dataPlatformInstance", "name", "jobId")
    return any(data.get(k) for k in keys)


def _flags(entity: dict[str, Any]) -> dict[str, bool | None]:
    """The members of an entity's sibling group with the `primary` flag each declares.

    GMS's sibling hook keeps both sides' aspects in step, so an entity's own `siblings` names the group.
    """
    own = entity.get("siblings") or {}
    members: dict[str, bool | None] = {entity["urn"]: own.get("isPrimary") if own else None}
    for sibling in own.get("siblings") or []:
        if sibling and sibling.get("urn"):
            members[sibling["urn"]] = ((sibling.get("siblings") or {}) or {}).get("isPrimary")
    return members


def _rep(flags: dict[str, bool | None]) -> str:
    return representative(flags) if len(flags) > 1 else next(iter(flags))


def _reps_of(entities: Iterable[dict[str, Any]]) -> dict[str, str]:
    """URN -> its group's URN, for every entity (and sibling) these selections name."""
    out: dict[str, str] = {}
    for entity in entities:
        if entity and entity.get("urn"):
            flags = _flags(entity)
            out |= dict.fromkeys(flags, _rep(flags))
    return out


def _relationship_entities(data: dict[str, Any], alias: str) -> list[dict[str, Any]]:
    return [r["entity"] for r in (data.get(alias) or {}).get("relationships") or [] if r.get("entity")]


def _description(data: dict[str, Any]) -> str | None:
    editable = (data.get("editableProperties") or {}).get("description")
    return editable or (data.get("properties") or {}).get("description")


def _ref(data: dict[str, Any]) -> EntityRef:
    urn = data["urn"]
    parts = parse_urn(urn)
    props = data.get("properties") or {}
    subtypes = (data.get("subTypes") or {}).get("typeNames") or []
    platform = data.get("platform") or data.get("jobPlatform") or {}
    return EntityRef(
        urn=urn,
        type=parts.entity_type,
        name=props.get("name") or data.get("name") or parts.short_name,
        platform=platform.get("name") or parts.platform,
        instance=(data.get("dataPlatformInstance") or {}).get("instanceId"),
        subtype=subtypes[0] if subtypes else _default_subtype(parts.entity_type),
    )


def _default_subtype(entity_type: str) -> str:
    return "Data Job" if entity_type == "dataJob" else entity_type.capitalize()


def _entity_page(data: dict[str, Any]) -> Entity:
    """One stored entity as an `Entity` (no sibling merging)."""
    return Entity(
        **_ref(data).model_dump(),
        description=_description(data),
        fields=[
            SchemaField(
                path=f["fieldPath"], native_type=f.get("nativeDataType"), description=f.get("description")
            )
            for f in (data.get("schemaMetadata") or {}).get("fields") or []
        ],
        owners=[
            Owner(urn=o["owner"]["urn"], type=o.get("type") or "DATAOWNER")
            for o in (data.get("ownership") or {}).get("owners") or []
            if o.get("owner")
        ],
        tags=[t["tag"]["urn"] for t in (data.get("tags") or {}).get("tags") or []],
        terms=[t["term"]["urn"] for t in (data.get("glossaryTerms") or {}).get("terms") or []],
        links=[
            Link(url=e["url"], label=e.get("description") or e.get("label") or e["url"])
            for e in (data.get("institutionalMemory") or {}).get("elements") or []
        ],
        incidents=[_incident(i) for i in (data.get("incidents") or {}).get("incidents") or []],
        inputs=[e["urn"] for e in _relationship_entities(data, "inputs")],
        outputs=[e["urn"] for e in _relationship_entities(data, "outputs")],
        view_logic=(data.get("viewProperties") or {}).get("logic"),
    )


def _search_rows(entity: dict[str, Any]) -> list[SearchRow]:
    rows = []
    props = entity.get("properties") or {}
    if props.get("name"):
        rows.append(SearchRow("name", props["name"]))
    description = _description(entity)
    if description:
        rows.append(SearchRow("description", description))
    for f in (entity.get("schemaMetadata") or {}).get("fields") or []:
        rows.append(SearchRow("column", f["fieldPath"]))
    for t in (entity.get("tags") or {}).get("tags") or []:
        rows.append(SearchRow("tag", t["tag"]["urn"].removeprefix("urn:li:tag:")))
    for t in (entity.get("glossaryTerms") or {}).get("terms") or []:
        rows.append(SearchRow("term", t["term"]["urn"].removeprefix("urn:li:glossaryTerm:")))
    for s in (entity.get("subTypes") or {}).get("typeNames") or []:
        rows.append(SearchRow("subtype", s))
    return rows


def _merged_card(entity: dict[str, Any]) -> tuple[EntityRef, list[SearchRow]]:
    """A search hit as its sibling group: the representative's ref, every member's words."""
    flags = _flags(entity)
    rep = _rep(flags)
    cards = {entity["urn"]: entity} | {
        s["urn"]: s for s in (entity.get("siblings") or {}).get("siblings") or [] if s and s.get("urn")
    }
    rows = [row for card in cards.values() for row in _search_rows(card)]
    base = cards.get(rep) if _present(cards.get(rep)) else entity
    ref = _ref(base or entity).model_copy(
        update={"urn": rep, "siblings": sorted(m for m in flags if m != rep)}
    )
    return ref, rows


def _others_of(reps: dict[str, str]) -> dict[str, list[str]]:
    """Each group's representative -> its other members, sorted (the inverse of `reps`, built once: a
    walk names tens of thousands of entities, and a scan of `reps` per node was quadratic)."""
    others: dict[str, list[str]] = {}
    for urn, rep in reps.items():
        if urn != rep:
            others.setdefault(rep, []).append(urn)
    return {rep: sorted(urns) for rep, urns in others.items()}


def _node_ref(result: dict[str, Any], reps: dict[str, str], others: dict[str, list[str]]) -> EntityRef | None:
    """A result's entity as its group (`others`: each group's other members); None for a type we
    do not model."""
    entity = result.get("entity") or {}
    if _TYPE_OF.get(str(entity.get("type", ""))) is None:
        return None
    rep = reps.get(entity["urn"], entity["urn"])
    return _ref(entity).model_copy(update={"urn": rep, "siblings": list(others.get(rep, ()))})


def _lineage_node(
    start: str, result: dict[str, Any], reps: dict[str, str], others: dict[str, list[str]]
) -> LineageNode | None:
    """A result as a node of the collapsed graph: URNs mapped onto groups, repeats dropped."""
    ref = _node_ref(result, reps, others)
    if ref is None:
        return None
    best = min(_collapsed_paths(start, result, reps), key=len)
    return LineageNode(ref=ref, hops=len(best) - 1, path=best)


def _stored_info(a: dict[str, Any], asserted: str) -> dict[str, Any]:
    """The assertionInfo as stored: the raw aspect when the server gives it, else rebuilt from `info`."""
    for aspect in a.get("aspects") or []:
        if aspect.get("aspectName") == "assertionInfo" and aspect.get("payload"):
            try:
                return dict(json.loads(aspect["payload"]))
            except ValueError:
                break
    info = a.get("info") or {}
    ds = info.get("datasetAssertion")
    custom = info.get("customAssertion")
    stored: dict[str, Any] = {"type": info.get("type"), "description": info.get("description")}
    if ds:
        stored["datasetAssertion"] = {
            **{k: ds.get(k) for k in ("scope", "aggregation", "operator", "nativeType", "logic")},
            "dataset": ds.get("datasetUrn") or asserted,
            "nativeParameters": {p["key"]: p["value"] for p in ds.get("nativeParameters") or []},
            "fields": [f for f in ds.get("fields") or [] if f],
        }
    if custom:
        stored["customAssertion"] = {
            "type": custom.get("type"),
            "entity": custom.get("entityUrn") or asserted,
            "logic": custom.get("logic"),
            "field": custom.get("field"),
        }
    return stored


def _stored_event(event: dict[str, Any]) -> dict[str, Any]:
    """A GraphQL run event in the stored `assertionRunEvent` shape."""
    result = dict(event.get("result") or {})
    if result.get("error"):
        error = result["error"]
        result["error"] = {"type": error.get("type"), "properties": error.get("properties") or []}
    return {**event, "result": result}


def _sibling_name(near: str, name: str) -> str:
    """The URN `near` would have if its last name part were `name` (same platform, schema and env)."""
    head, _, env = near[:-1].rpartition(",")
    prefix, _, rest = head.partition(",")
    parts = rest.split(".")
    return f"{prefix},{'.'.join([*parts[:-1], name])},{env})"


def _incident(i: dict[str, Any]) -> Incident:
    status = i.get("incidentStatus") or {}
    source = i.get("source") or {}
    priority = i.get("priority")
    return Incident(
        urn=i["urn"],
        title=i.get("title") or "",
        description=i.get("description"),
        type=i.get("incidentType") or "CUSTOM",
        custom_type=i.get("customType"),
        state=status.get("state") or "ACTIVE",
        stage=status.get("stage"),
        priority=_PRIORITY.get(priority) if isinstance(priority, str) else priority,
        entities=[
            r["entity"]["urn"]
            for r in (i.get("entities") or {}).get("relationships") or []
            if r.get("entity")
        ],
        source_type=source.get("type"),
        source_urn=(source.get("source") or {}).get("urn"),
        created_ms=(i.get("created") or {}).get("time"),
        created_by=(i.get("created") or {}).get("actor"),
    )


def _group_entity(data: dict[str, Any]) -> Entity:
    """A server entity and its sibling pages as the one node of their group."""
    flags = _flags(data)
    rep = _rep(flags)
    entities = [_entity_page(page) for page in _group_pages(data, rep)]
    merged = merge_entities(entities[0].model_copy(update={"urn": rep}), entities[1:])
    reps = _reps_of(_relationship_entities(data, "inputs") + _relationship_entities(data, "outputs"))
    return merged.model_copy(
        update={
            "siblings": sorted(m for m in flags if m != rep),
            "inputs": list(dict.fromkeys(reps.get(u, u) for u in merged.inputs)),
            "outputs": list(dict.fromkeys(reps.get(u, u) for u in merged.outputs)),
        }
    )


def _group_owners(data: dict[str, Any]) -> list[str]:
    """The owners of a server entity and its sibling pages, in the order `_group_entity` merges them."""
    pages = _group_pages(data, _rep(_flags(data)))
    owners = [o for page in pages for o in (page.get("ownership") or {}).get("owners") or []]
    return list(dict.fromkeys(o["owner"]["urn"] for o in owners if o.get("owner")))


def _group_pages(data: dict[str, Any], rep: str) -> list[dict[str, Any]]:
    """A server entity's page and its present siblings' pages, the representative's first."""
    pages = {data["urn"]: data} | {
        s["urn"]: s for s in ((data.get("siblings") or {}).get("siblings") or []) if _present(s)
    }
    return [pages[m] for m in sorted(pages, key=lambda m: (m != rep, m))]


def _latest_result(assertion: dict[str, Any]) -> str | None:
    """The result type of an assertion's newest run among those the server returned."""
    events = (assertion.get("runEvents") or {}).get("runEvents") or []
    newest = max(events, key=lambda e: e.get("timestampMillis") or 0, default=None)
    return ((newest or {}).get("result") or {}).get("type")


def _collapsed_paths(start: str, result: dict[str, Any], reps: dict[str, str]) -> list[list[str]]:
    """Every path of a lineage result from `start`, with members mapped onto their groups."""
    entity = result.get("entity") or {}
    urn = entity.get("urn", "")
    paths = [[e["urn"] for e in p.get("path") or [] if e] for p in result.get("paths") or [] if p]
    out = []
    for path in [p for p in paths if p] or [[start, urn]]:
        steps = [start]
        for step in [reps.get(u, u) for u in path] + [reps.get(urn, urn)]:
            if step != steps[-1]:
                steps.append(step)
        out.append(steps)
    return out
