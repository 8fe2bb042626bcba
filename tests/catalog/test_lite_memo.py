"""The Lite memo keeps a read across writes that cannot change it, and never returns a stale one.

A handle that has read everything, then sees a write by another writer, must answer exactly as a new
handle does: for every kind of write a run or an ingestion makes. And a run's own writes (a tag, an
incident) must leave the lineage, the sibling groups and the owners it read in memory.
"""

from __future__ import annotations

import collections
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import datahub.metadata.schema_classes as m
import pytest
from datahub.emitter.mcp import MetadataChangeProposalWrapper as MCPW

from oncall.catalog import lite_warm
from oncall.catalog.lite import LiteCatalog
from oncall.catalog.lite_memo import DEPENDS, Memo
from tests.catalog import multiplatform as mp

_AUDIT = m.AuditStampClass(time=1_700_000_000_000, actor="urn:li:corpuser:test")


class _File:
    """A stand-in for the read model's meta rows: a generation and per-aspect counters."""

    def __init__(self) -> None:
        self.generation: str | None = "0"
        self.counters: dict[str, str] = {}

    def write(self, aspect: str) -> None:
        assert self.generation is not None
        self.generation = str(int(self.generation) + 1)
        self.counters[aspect] = str(int(self.counters.get(aspect, "0")) + 1)

    def memo(self) -> Memo:
        return Memo(lambda: self.generation, lambda: (self.generation, dict(self.counters)))


def _counting(memo: Memo, key: tuple[Any, ...]) -> Callable[[], int]:
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    def read() -> int:
        return memo.one(key, compute)

    return read


def test_a_write_drops_only_the_kinds_that_read_its_aspect() -> None:
    file = _File()
    memo = file.memo()
    lineage, owners, pages = (_counting(memo, (k, "x")) for k in ("adjacent", "owners", "get"))
    assert (lineage(), owners(), pages()) == (1, 1, 1)
    file.write("incidentInfo")  # a run's incident: entity pages change, lineage and owners do not
    assert (lineage(), owners(), pages()) == (1, 1, 2)
    file.write("ownership")
    assert (lineage(), owners(), pages()) == (1, 2, 3)
    file.write("upstreamLineage")
    assert (lineage(), owners(), pages()) == (2, 2, 4)
    assert "incidentInfo" not in DEPENDS["adjacent"] and "upstreamLineage" in DEPENDS["lineage_graph"]


def test_a_kind_without_declared_dependencies_is_dropped_by_any_write() -> None:
    file = _File()
    memo = file.memo()
    unknown = _counting(memo, ("not_declared",))
    assert unknown() == 1 and unknown() == 1
    file.write("tagProperties")
    assert unknown() == 2


def test_no_read_model_remembers_nothing() -> None:
    file = _File()
    file.generation = None
    read = _counting(file.memo(), ("adjacent", "x"))
    assert read() == 1 and read() == 2


def _answers(catalog: LiteCatalog) -> dict[str, Any]:
    """Every remembered read the agents make, as plain data."""
    graph = catalog.lineage_graph([mp.PG_ORDERS, mp.PG_CUSTOMERS], direction="downstream")
    everything = catalog.list_urns("dataset")
    return {
        "search": [h.model_dump() for h in catalog.search("orders")],
        "search_tag": [h.ref.urn for h in catalog.search("quarantined")],
        "graph": (graph.edges, {u: r.model_dump() for u, r in graph.refs.items()}),
        "reached": graph.reached_by([mp.PG_ORDERS, mp.PG_CUSTOMERS]),
        "lineage": [n.model_dump() for n in catalog.lineage(mp.DASHBOARD)],
        "owners": catalog.owners_many(everything),
        "assertions": {
            u: [a.model_dump() for a in found] for u, found in catalog.assertions_many(everything).items()
        },
        "failing": catalog.failing_assertions(),
        "list": everything,
        "page": catalog.get(mp.MART["orders"]).model_dump(),
        "exists": catalog.exists("urn:li:dataset:(urn:li:dataPlatform:snowflake,analytics.raw.new,PROD)"),
    }


def _incident() -> MCPW:
    info = m.IncidentInfoClass(
        type=m.IncidentTypeClass.OPERATIONAL,
        entities=[mp.MART["orders"]],
        status=m.IncidentStatusClass(state=m.IncidentStateClass.ACTIVE, lastUpdated=_AUDIT),
        created=_AUDIT,
    )
    return MCPW(entityUrn="urn:li:incident:memo-test", aspect=info)


NEW = "urn:li:dataset:(urn:li:dataPlatform:snowflake,analytics.raw.new,PROD)"
WRITES: dict[str, Callable[[LiteCatalog], None]] = {
    "tag": lambda c: c.add_tags(mp.MART["orders"], ["urn:li:tag:quarantined"]),
    "incident": lambda c: c.emit([_incident()]),
    "owner": lambda c: c.emit(
        [
            MCPW(
                entityUrn=mp.STG_WH["orders"],
                aspect=m.OwnershipClass(owners=[m.OwnerClass(owner=mp.FINANCE, type="DATAOWNER")]),
            )
        ]
    ),
    "lineage": lambda c: c.emit(
        [
            MCPW(
                entityUrn=mp.MART["customers"],
                aspect=m.UpstreamLineageClass(
                    upstreams=[m.UpstreamClass(dataset=mp.STG["orders"], type="TRANSFORMED")]
                ),
            )
        ]
    ),
    "siblings": lambda c: c.emit(
        [  # the model and its table split: two nodes from now on
            MCPW(entityUrn=u, aspect=m.SiblingsClass(siblings=[], primary=u == mp.MART["orders"]))
            for u in (mp.MART["orders"], mp.MART_WH["orders"])
        ]
    ),
    "rename": lambda c: c.emit(
        [MCPW(entityUrn=mp.MART["orders"], aspect=m.DatasetPropertiesClass(name="orders_renamed"))]
    ),
    "new dataset": lambda c: c.emit([MCPW(entityUrn=NEW, aspect=m.DatasetPropertiesClass(name="new"))]),
    "removal": lambda c: c.emit([MCPW(entityUrn=mp.PG_PAYMENTS, aspect=m.StatusClass(removed=True))]),
    "assertion run": lambda c: c.emit(  # the failing volume check passes again
        [
            MCPW(
                entityUrn=mp.VOLUME,
                aspect=m.AssertionRunEventClass(
                    timestampMillis=mp.T2 + mp.DAY,
                    runId="memo-test",
                    asserteeUrn=mp.RAW["payments"],
                    assertionUrn=mp.VOLUME,
                    status=m.AssertionRunStatusClass.COMPLETE,
                    result=m.AssertionResultClass(type=m.AssertionResultTypeClass.SUCCESS),
                ),
            )
        ]
    ),
}


@pytest.mark.parametrize("write", sorted(WRITES))
def test_a_handle_that_read_everything_answers_as_a_new_one_after_a_write(
    multiplatform_copy: Path, write: str
) -> None:
    with LiteCatalog(multiplatform_copy, read_only=True) as warm:
        before = _answers(warm)
        with LiteCatalog(multiplatform_copy) as writer:
            WRITES[write](writer)
        expected = _cold(multiplatform_copy)
        assert _answers(warm) == expected
    assert expected != before, f"the {write} write changed nothing this test reads"


def test_a_runs_own_writes_keep_the_lineage_groups_and_owners_in_memory(multiplatform_copy: Path) -> None:
    with LiteCatalog(multiplatform_copy, read_only=True) as warm:
        _answers(warm)
        queries: collections.Counter[str] = collections.Counter()
        query = warm._query

        def counted(sql: str, params: Any = ()) -> list[tuple[Any, ...]]:
            queries[sql.split(" WHERE ", 1)[0]] += 1
            return query(sql, params)

        warm._query = counted  # type: ignore[method-assign]
        with LiteCatalog(multiplatform_copy) as writer:
            WRITES["tag"](writer)
            WRITES["incident"](writer)
        _answers(warm)
    read = " | ".join(queries)
    assert "oncall_edge" in read  # the incident's page was read again
    assert not any("SELECT urn, kind, target FROM oncall_edge" in q for q in queries), read  # siblings
    assert not any(q.startswith("SELECT target, urn FROM oncall_edge") for q in queries), read  # lineage
    assert not any("'$.owner'" in q for q in queries), read  # owners


# ------------------------------------------------------------------ the warm-start file (lite_warm)


def _lineage_queries(catalog: LiteCatalog) -> collections.Counter[str]:
    """Count the sibling, lineage-hop and owner queries `catalog` sends from now on."""
    seen: collections.Counter[str] = collections.Counter()
    query = catalog._query

    def counted(sql: str, params: Any = ()) -> list[tuple[Any, ...]]:
        if "kind IN ('sibling'" in sql:
            seen["siblings"] += 1
        elif "kind IN ('lineage', 'input')" in sql:
            seen["lineage"] += 1
        elif "'$.owner'" in sql:
            seen["owners"] += 1
        return query(sql, params)

    catalog._query = counted  # type: ignore[method-assign]
    return seen


def _cold(path: Path) -> dict[str, Any]:
    with LiteCatalog(path, read_only=True, warm_start=False) as fresh:
        return _answers(fresh)


def test_a_new_handle_takes_the_lineage_the_last_one_read(multiplatform_copy: Path) -> None:
    with LiteCatalog(multiplatform_copy, read_only=True) as first:
        _answers(first)
    assert lite_warm.warm_path(multiplatform_copy).is_file()
    with LiteCatalog(multiplatform_copy, read_only=True) as second:
        seen = _lineage_queries(second)
        answers = _answers(second)
    assert seen == {}, seen
    assert answers == _cold(multiplatform_copy)


@pytest.mark.parametrize("write", sorted(WRITES))
def test_a_write_between_two_processes_keeps_only_what_it_did_not_touch(
    multiplatform_copy: Path, write: str
) -> None:
    with LiteCatalog(multiplatform_copy, read_only=True) as first:
        _answers(first)
    with LiteCatalog(multiplatform_copy, warm_start=False) as writer:
        WRITES[write](writer)
    with LiteCatalog(multiplatform_copy, read_only=True) as second:
        seen = _lineage_queries(second)
        answers = _answers(second)
    assert answers == _cold(multiplatform_copy)
    if write == "lineage":
        assert seen["lineage"] > 0 and seen["owners"] == 0, seen  # lineage read again, owners taken
    if write in ("tag", "incident"):
        assert seen == {}, seen  # a run's own writes: everything the lineage needs is taken


def test_copies_of_one_file_written_apart_never_share_their_reads(
    multiplatform_copy: Path, tmp_path: Path
) -> None:
    """Two copies of one file (one epoch) that then took the same kind of write: each write leaves a
    new random token, so one copy's warm-start file is stale for the other."""
    other = tmp_path / "other" / multiplatform_copy.name
    other.parent.mkdir()
    shutil.copyfile(multiplatform_copy, other)
    with LiteCatalog(other, warm_start=False) as writer:
        WRITES["lineage"](writer)
    with LiteCatalog(multiplatform_copy, warm_start=False) as writer:  # a different lineage write
        writer.emit(
            [
                MCPW(
                    entityUrn=mp.MART["orders"],
                    aspect=m.UpstreamLineageClass(
                        upstreams=[m.UpstreamClass(dataset=mp.STG["payments"], type="TRANSFORMED")]
                    ),
                )
            ]
        )
    with LiteCatalog(multiplatform_copy, read_only=True) as first:
        _answers(first)
    shutil.copyfile(lite_warm.warm_path(multiplatform_copy), lite_warm.warm_path(other))
    with LiteCatalog(other, read_only=True) as second:
        seen = _lineage_queries(second)
        answers = _answers(second)
    assert seen["lineage"] > 0, seen
    assert answers == _cold(other)


@pytest.mark.parametrize(
    "damage",
    [
        "{not json",
        "[]",
        '{"format": 1, "epoch": "EPOCH", "tokens": {}, "adjacent": 5, "ref": {}, "owners": {}}',
    ],
)
def test_a_damaged_warm_start_file_is_ignored(multiplatform_copy: Path, damage: str) -> None:
    with LiteCatalog(multiplatform_copy, read_only=True) as catalog:
        epoch = catalog._epoch() or ""
    lite_warm.warm_path(multiplatform_copy).write_text(damage.replace("EPOCH", epoch), encoding="utf-8")
    with LiteCatalog(multiplatform_copy, read_only=True) as catalog:
        answers = _answers(catalog)
    assert answers == _cold(multiplatform_copy)
    data = json.loads(lite_warm.warm_path(multiplatform_copy).read_text(encoding="utf-8"))
    assert data["format"] == lite_warm.FORMAT and data["owners"]  # and replaced by a good one


def test_a_handle_that_shows_one_entity_neither_reads_nor_rewrites_the_file(multiplatform_copy: Path) -> None:
    """An entity page (the console opens a handle per page) reads a few rows: taking a file of the
    run's whole closure would cost it more than it saves, and rewriting it on close more still."""
    with LiteCatalog(multiplatform_copy, read_only=True) as first:
        _answers(first)
    warm = lite_warm.warm_path(multiplatform_copy)
    before = warm.read_bytes()
    warm.write_text("{not json", encoding="utf-8")  # would be replaced by any handle that took it
    with LiteCatalog(multiplatform_copy, read_only=True) as page:
        page.get(mp.MART["orders"])
        page.lineage(mp.MART["orders"], direction="upstream", hops=1)
        page.lineage(mp.MART["orders"], direction="downstream", hops=1)
        assert page._warm_taken is None
    assert warm.read_text(encoding="utf-8") == "{not json" and before
