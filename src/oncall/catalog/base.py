"""The `Catalog` protocol: the one small, typed way the rest of the code reads and writes DataHub.

Two adapters implement it: `lite` (embedded DataHub Lite file, the default) and `gms` (a DataHub server
through GraphQL reads and SDK writes). One contract test module runs against both.

Query tracing: adapters call `record_query()` for every GraphQL document or SQL statement they execute.
Agents wrap a tool call in `tracing()` to collect exactly those queries for their `tool_call` events;
the collector lives in a context variable, so concurrent agents (and their worker threads, via
`asyncio.to_thread`) never see each other's queries.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal, Protocol, TypeVar, runtime_checkable

from oncall.catalog.graph import LineageGraph
from oncall.catalog.types import (
    Assertion,
    Entity,
    EntityType,
    Incident,
    LineageNode,
    Query,
    RunEvent,
    SearchHit,
)

__all__ = ["Catalog", "Direction", "parallel", "record_query", "tracing"]

T = TypeVar("T")

Direction = Literal["upstream", "downstream"]

_collector: contextvars.ContextVar[list[Query] | None] = contextvars.ContextVar(
    "oncall_queries", default=None
)


def record_query(
    language: Literal["graphql", "sql"], text: str, variables: dict[str, Any] | None = None
) -> None:
    """Note a query the adapter is executing (no-op outside `tracing()`)."""
    sink = _collector.get()
    if sink is not None:
        sink.append(Query(language=language, text=text, variables=variables or {}))


@contextlib.contextmanager
def tracing() -> Iterator[list[Query]]:
    """Collect the queries executed inside the block (in this context)."""
    sink: list[Query] = []
    token = _collector.set(sink)
    try:
        yield sink
    finally:
        _collector.reset(token)


def parallel(calls: Sequence[Callable[[], T]], *, at_most: int = 4) -> list[T]:
    """Run independent catalog reads side by side (at most `at_most` at once), results in order: one
    round trip's wait on a server instead of one per call. Each runs in a copy of the caller's context,
    so `tracing()` sees their queries."""
    if len(calls) <= 1:
        return [call() for call in calls]
    with ThreadPoolExecutor(max_workers=min(at_most, len(calls))) as pool:
        futures = [pool.submit(contextvars.copy_context().run, call) for call in calls]
        return [f.result() for f in futures]


@runtime_checkable
class Catalog(Protocol):
    """What the product needs from DataHub. Errors: `NotFoundError` for unknown URNs, `CatalogError`s."""

    backend: str
    """'lite' or 'gms'."""

    def search(
        self,
        text: str,
        *,
        types: Sequence[EntityType] | None = None,
        instance: str | None = None,
        limit: int = 20,
    ) -> list[SearchHit]:
        """Free-text search over datasets, charts and dashboards, best first, with reasons.

        Matches names, descriptions, column names, tags. Quotes and SQL metacharacters are plain text.
        """
        ...

    def get(self, urn: str) -> Entity:
        """The entity page of `urn`; raises `NotFoundError` if it does not exist."""
        ...

    def get_many(self, urns: Sequence[str]) -> dict[str, Entity]:
        """`get` of many URNs in a bounded number of reads, keyed by the URN given; unknown URNs are
        left out (a malformed one raises `InvalidUrnError`)."""
        ...

    def describe_many(self, urns: Sequence[str]) -> dict[str, Entity]:
        """`get_many` for what says what each entity is: its ref, description, columns, owners, tags and
        terms as `get` has them; its incidents, links and lineage may be left empty. The semantic
        index's read of every entity, so a server may answer it with a lighter request."""
        ...

    def owners_many(self, urns: Sequence[str]) -> dict[str, list[str]]:
        """`[o.urn for o in get(u).owners]` of every URN (a sibling group's members' owners merged), read
        in bulk without the rest of the pages; [] for an unknown URN."""
        ...

    def exists(self, urn: str) -> bool:
        """True if the entity exists in the catalog."""
        ...

    def lineage(
        self, urn: str, *, direction: Direction = "upstream", hops: int | None = None
    ) -> list[LineageNode]:
        """Entities reached from `urn` (excluded) within `hops` (None = all), each with its path.

        Upstream of a dashboard goes dashboard -> charts -> datasets -> ...; downstream of a dataset
        reaches views, charts and dashboards. Each node appears once, at its shortest path.
        """
        ...

    def lineage_graph(self, urns: Sequence[str], *, direction: Direction = "upstream") -> LineageGraph:
        """Everything `lineage(u, direction=direction)` reaches for every `u` in `urns`, with the edges,
        read in one pass over their union (not one walk per URN); `NotFoundError` for an unknown URN.
        `LineageGraph.reach(u)` then gives the URNs `lineage(u)` lists."""
        ...

    def twin(self, urn: str, instance: str | None) -> str | None:
        """The same dataset (or chart/dashboard) in another platform instance (None: the one without an
        instance), if it exists. The entity's own instance comes from its `dataPlatformInstance`."""
        ...

    def assertions(self, dataset_urn: str, *, history: int = 20) -> list[Assertion]:
        """Assertions on a dataset, each with up to `history` runs, newest first by timestamp."""
        ...

    def assertions_many(
        self, dataset_urns: Sequence[str], *, history: int = 20
    ) -> dict[str, list[Assertion]]:
        """`assertions(u, history=history)` of every URN (keyed by the URN given), read in bulk."""
        ...

    def failing_assertions(self, instance: str | None = None) -> dict[str, list[str]]:
        """Every assertion of the catalog whose latest run is a FAILURE, in one query where the backend
        allows: the dataset node it is filed under (as `assertions` and `list_urns("dataset",
        instance)` name it; datasets `list_urns` does not list are left out) -> those assertions' URNs,
        sorted. The latest run is the one `assertions` puts first. It may also name the copy of a dbt
        `relationships` test on the model it references, which `assertions` leaves out."""
        ...

    def incidents(self, urn: str, *, state: Literal["ACTIVE", "RESOLVED"] | None = None) -> list[Incident]:
        """Incidents whose entities include `urn`, newest first."""
        ...

    def emit(self, mcps: Iterable[Any]) -> None:
        """Write full-aspect MCPs (MetadataChangeProposalWrapper) through the SDK."""
        ...

    def get_aspect(self, urn: str, aspect: type[Any]) -> Any | None:
        """The current aspect of `urn` as a typed SDK class, or None (for read-modify-write)."""
        ...

    def add_tags(self, urn: str, tag_urns: Sequence[str], *, context: str | None = None) -> None:
        """Add tags without removing any existing one (PATCH on GMS, read-modify-write on Lite).

        `context` is stored on each tag association: the writer's marker, found again by `tagged`.
        """
        ...

    def tagged(self, tag_urn: str, *, context: str | None = None) -> list[str]:
        """URNs that carry `tag_urn` (with that association `context` when given), sorted."""
        ...

    def open_incidents(self, *, created_by: str | None = None) -> list[Incident]:
        """Every ACTIVE incident of the catalog (raised by `created_by` when given), newest first."""
        ...

    def all_incidents(self, *, state: Literal["ACTIVE", "RESOLVED"] | None = None) -> list[Incident]:
        """Every incident of the catalog (in `state` when given), newest first."""
        ...

    def run_events(self, after: int, *, limit: int = 5000) -> tuple[list[RunEvent], int]:
        """Assertion run events written after feed position `after` (at most `limit`), oldest write
        first, and the position to read from next (`oncall.catalog.run_events` says what positions are).

        Raises `CatalogUnavailableError` when the catalog is down or locked (nothing is consumed then).
        """
        ...

    def remove_tags(self, urn: str, tag_urns: Sequence[str]) -> None:
        """Remove only these tags."""
        ...

    def add_links(self, urn: str, links: Sequence[tuple[str, str]]) -> None:
        """Add (url, label) links to institutional memory, keeping existing ones; same url = update."""
        ...

    def remove_links(self, urn: str, urls: Sequence[str]) -> None:
        """Remove only the links with these urls."""
        ...

    def list_urns(
        self,
        entity_type: EntityType | None = None,
        instance: str | None = None,
        *,
        at_most: int | None = None,
    ) -> list[str]:
        """Every URN of a type (and platform instance), sorted (of a sibling group, its representative).

        With `at_most`, a longer list is cut short: more than `at_most` URNs come back (at most
        `at_most` + one page on a server, whose later pages are not read), so a caller learns the
        list is too long for it without reading it all."""
        ...

    def entities_version(self) -> str | None:
        """A token that changes whenever `list_urns()` may have changed (an entity added, removed,
        renamed, or a sibling group changed), read without listing; None when the backend has nothing
        cheaper than the listing itself. A backend may approximate it (GMS: the count and the hour, so
        a swap is seen within the hour): it decides only when the semantic index checks the list."""
        ...

    def ping(self) -> dict[str, Any]:
        """Whether the backend answers: {'ok': bool, 'backend', 'version', 'location', ...}."""
        ...

    def close(self) -> None:
        """Release files and connections."""
        ...

    def __enter__(self) -> Catalog:
        """`with open_catalog(config) as catalog:` closes it on the way out."""
        ...

    def __exit__(self, *exc: object) -> None: ...
