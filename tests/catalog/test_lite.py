"""What only the Lite adapter has to get right: the file, the read model, the writer, injection."""

from __future__ import annotations

import json
import shutil
import sqlite3
import threading
from pathlib import Path

import datahub.metadata.schema_classes as m
import pytest
from datahub.emitter.mcp import MetadataChangeProposalWrapper as MCPW
from datahub.lite.lite_util import get_datahub_lite
from datahub.lite.sqlite_lite import SqliteLite

from oncall.catalog import open_catalog, tracing
from oncall.catalog.lite import LiteCatalog
from oncall.config import load_config
from oncall.errors import CatalogError, CatalogUnavailableError
from oncall.world.urns import dataset_urn

ORDERS = dataset_urn("olist_dirty", "olist_orders")


def _lite_path(home: Path) -> Path:
    return load_config(home, environ={}).lite_path


def test_missing_file_says_run_setup(home: Path) -> None:
    with pytest.raises(CatalogUnavailableError, match="run `oncall setup` first"):
        open_catalog(load_config(home, environ={}))
    with pytest.raises(CatalogUnavailableError, match="run `oncall setup` first"):
        open_catalog(load_config(home, environ={}), read_only=True)
    assert not _lite_path(home).exists()  # nothing created


def test_corrupt_file_is_reported(home: Path) -> None:
    _lite_path(home).write_bytes(b"this is not a database" * 100)
    for read_only in (False, True):
        with pytest.raises(CatalogUnavailableError, match="corrupt or not a database"):
            open_catalog(load_config(home, environ={}), read_only=read_only)


def test_a_plain_sqlite_file_is_not_a_catalog(home: Path) -> None:
    conn = sqlite3.connect(_lite_path(home))
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    with pytest.raises(CatalogUnavailableError, match="not a DataHub Lite file"):
        LiteCatalog(_lite_path(home), read_only=True)


def test_locked_file_is_reported_and_nothing_is_written(seeded_copy: Path) -> None:
    path = _lite_path(seeded_copy)
    catalog = LiteCatalog(path, busy_timeout_ms=100)
    other = sqlite3.connect(path, timeout=0)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        with pytest.raises(CatalogUnavailableError, match="locked by another writer"):
            catalog.add_tags(ORDERS, ["urn:li:tag:quarantined"])
        assert catalog.get(ORDERS).tags  # reads still work under WAL
        other.rollback()
        assert "urn:li:tag:quarantined" not in catalog.get(ORDERS).tags
        catalog.add_tags(ORDERS, ["urn:li:tag:quarantined"])
        assert "urn:li:tag:quarantined" in catalog.get(ORDERS).tags
    finally:
        other.close()
        catalog.close()


def test_read_only_catalog_refuses_writes(seeded_home: Path) -> None:
    with open_catalog(load_config(seeded_home, environ={}), read_only=True) as catalog:
        with pytest.raises(CatalogError, match="read-only"):
            catalog.add_tags(ORDERS, ["urn:li:tag:x"])
        with pytest.raises(CatalogError, match="read-only"):
            catalog.emit([MCPW(entityUrn=ORDERS, aspect=m.StatusClass(removed=False))])


def test_patches_are_refused_before_anything_is_written(seeded_copy: Path) -> None:
    from datahub.specific.dataset import DatasetPatchBuilder

    patch = DatasetPatchBuilder(ORDERS).add_tag(m.TagAssociationClass(tag="urn:li:tag:x")).build()
    good = MCPW(entityUrn=ORDERS, aspect=m.EditableDatasetPropertiesClass(description="should not land"))
    with LiteCatalog(_lite_path(seeded_copy)) as catalog:
        with pytest.raises(CatalogError, match="PATCH proposals need a DataHub server"):
            catalog.emit([good, *patch])
        assert catalog.get_aspect(ORDERS, m.EditableDatasetPropertiesClass) is None


def test_read_model_follows_writes_by_other_lite_writers(seeded_copy: Path) -> None:
    """A write through plain DataHub Lite (not our adapter) is visible to reverse lookups at once."""
    path = _lite_path(seeded_copy)
    catalog = LiteCatalog(path, read_only=True)
    geo = dataset_urn("olist_dirty", "olist_geolocation")
    assert catalog.lineage(geo, direction="downstream") == []
    lite = get_datahub_lite({"type": "sqlite", "config": {"file": str(path)}})
    lineage = m.UpstreamLineageClass(
        upstreams=[m.UpstreamClass(dataset=geo, type=m.DatasetLineageTypeClass.VIEW)]
    )
    lite.write(MCPW(entityUrn=ORDERS, aspect=lineage))
    assert isinstance(lite, SqliteLite)  # what the "sqlite" type names
    lite._close_connection()
    down = catalog.lineage(geo, direction="downstream", hops=1)
    assert [n.ref.urn for n in down] == [ORDERS]
    assert catalog.lineage(ORDERS, hops=1)[0].ref.urn == geo  # the old upstreams were replaced
    catalog.close()


def test_the_entities_version_moves_only_when_the_listed_entities_may_change(
    seeded_copy: Path, tmp_path: Path
) -> None:
    """A run's own writes (a tag, an incident) leave it; a new dataset or a removal moves it; two files
    never share one (each has its own epoch), so an index kept for one is never taken for the other."""
    path = _lite_path(seeded_copy)
    with LiteCatalog(path) as catalog:
        before = catalog.entities_version()
        assert before is not None
        catalog.add_tags(ORDERS, ["urn:li:tag:quarantined"])
        incident = m.IncidentInfoClass(
            type=m.IncidentTypeClass.OPERATIONAL,
            entities=[ORDERS],
            status=m.IncidentStatusClass(state=m.IncidentStateClass.ACTIVE, lastUpdated=_audit()),
            created=_audit(),
        )
        catalog.emit([MCPW(entityUrn="urn:li:incident:version-test", aspect=incident)])
        assert catalog.entities_version() == before
        new = dataset_urn("olist_dirty", "brand_new_table")
        catalog.emit([MCPW(entityUrn=new, aspect=m.DatasetPropertiesClass(name="brand_new_table"))])
        added = catalog.entities_version()
        assert added != before and new in catalog.list_urns("dataset")
        catalog.emit([MCPW(entityUrn=new, aspect=m.StatusClass(removed=True))])
        assert catalog.entities_version() not in (before, added)
    other = tmp_path / "other.db"
    LiteCatalog(other, create=True).close()
    with LiteCatalog(other, read_only=True) as fresh:
        assert (fresh.entities_version() or "").split(":")[1] != before.split(":")[1]


def _audit() -> m.AuditStampClass:
    return m.AuditStampClass(time=1_700_000_000_000, actor="urn:li:corpuser:test")


def test_read_model_is_added_to_a_foreign_lite_file(tmp_path: Path, seeded_home: Path) -> None:
    """A Lite file written by `datahub ingest` (no side tables) gets the read model on first open."""
    path = tmp_path / "foreign.db"
    shutil.copy(_lite_path(seeded_home), path)
    conn = sqlite3.connect(path)
    conn.executescript(
        "DROP TRIGGER oncall_after_insert; DROP TRIGGER oncall_after_update; "
        "DROP TRIGGER oncall_after_delete; DROP TABLE oncall_edge; DROP TABLE oncall_text; "
        "DROP TABLE oncall_meta;"
    )
    conn.close()
    with LiteCatalog(path, read_only=True) as catalog:
        assert len(catalog.list_urns("dataset")) == 28
        assert catalog.lineage(dataset_urn("olist_source", "v_order_details"), hops=1)


def test_one_writer_many_threads(seeded_copy: Path) -> None:
    """Writes from several threads through one catalog all land (Lite alone fails this, REFERENCE C3)."""
    catalog = LiteCatalog(_lite_path(seeded_copy))
    tags = [f"urn:li:tag:t{i}" for i in range(24)]
    errors: list[BaseException] = []

    def work(chunk: list[str]) -> None:
        try:
            for tag in chunk:
                catalog.add_tags(ORDERS, [tag])
                catalog.search("orders")  # readers run alongside
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(tags[i::4],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert set(tags) <= set(catalog.get(ORDERS).tags)
    catalog.close()


def test_close_skips_the_browse_reindex(seeded_copy: Path) -> None:
    """Lite's own close() rebuilds every browse edge; ours must not touch the file on close."""
    path = _lite_path(seeded_copy)
    catalog = LiteCatalog(path)
    catalog.add_tags(ORDERS, ["urn:li:tag:x"])
    conn = sqlite3.connect(path)
    before = conn.execute("SELECT count(*), max(rowid) FROM metadata_edge_v2").fetchone()
    conn.close()
    catalog.close()
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT count(*), max(rowid) FROM metadata_edge_v2").fetchone() == before
    conn.close()


def test_search_text_is_bound_never_spliced(seeded_home: Path) -> None:
    with LiteCatalog(_lite_path(seeded_home), read_only=True) as catalog, tracing() as queries:
        assert catalog.search("orders'); DELETE FROM oncall_text; --") != []
    assert all("DELETE" not in q.text for q in queries)
    assert any("orders" in str(q.variables) for q in queries)


_OTHER_WRITER = """
import sys
from oncall.catalog.lite import LiteCatalog
from oncall.world.urns import dataset_urn
catalog = LiteCatalog(sys.argv[1], busy_timeout_ms=10000)
print("ready", flush=True)
for i in range(40):
    catalog.add_tags(dataset_urn("olist_dirty", "olist_orders"), [f"urn:li:tag:proc{i}"])
catalog.close()
"""


def test_writers_in_two_processes_do_not_lose_updates(seeded_copy: Path) -> None:
    """Each read-modify-write runs in one immediate transaction, so a second process cannot interleave."""
    import subprocess
    import sys

    path = _lite_path(seeded_copy)
    other = subprocess.Popen(
        [sys.executable, "-c", _OTHER_WRITER, str(path)], stdout=subprocess.PIPE, text=True
    )
    assert other.stdout is not None and other.stdout.readline().strip() == "ready"  # both write from here
    catalog = LiteCatalog(path, busy_timeout_ms=10000)
    second = LiteCatalog(path, busy_timeout_ms=10000)  # another catalog on the file in this process
    try:
        for i in range(40):
            (catalog if i % 2 else second).add_tags(ORDERS, [f"urn:li:tag:here{i}"])
        assert other.wait(timeout=120) == 0
        tags = set(catalog.get(ORDERS).tags)
        assert {f"urn:li:tag:here{i}" for i in range(40)} <= tags
        assert {f"urn:li:tag:proc{i}" for i in range(40)} <= tags
    finally:
        catalog.close()
        second.close()


# ------------------------------------------------------------------ any DataHub: what the CLI sink drops


def test_lineage_continues_through_siblings_without_the_warehouse_side_patches(
    multiplatform_copy: Path,
) -> None:
    """DataHub's CLI Lite sink drops the PATCH MCPs of a default dbt recipe: the warehouse tables get
    neither their `siblings` aspect nor their COPY lineage. The dbt side's aspect alone still merges
    each model with its table, and lineage still runs through both (dbt lineage on the model,
    warehouse lineage on the table)."""
    from tests.catalog import multiplatform as mp

    warehouse = [*mp.RAW.values(), *mp.STG_WH.values(), *mp.MART_WH.values()]
    copied = [*mp.STG_WH.values(), *mp.MART_WH.values()]
    with sqlite3.connect(multiplatform_copy) as conn:
        marks = ",".join("?" * len(warehouse))
        conn.execute(
            f"DELETE FROM metadata_aspect_v2 WHERE aspect_name = 'siblings' AND urn IN ({marks})", warehouse
        )
        marks = ",".join("?" * len(copied))
        conn.execute(
            f"DELETE FROM metadata_aspect_v2 WHERE aspect_name = 'upstreamLineage' AND urn IN ({marks})",
            copied,
        )
    with LiteCatalog(multiplatform_copy, read_only=True) as catalog:
        nodes = {n.ref.urn: n for n in catalog.lineage(mp.CHART)}
        assert mp.PG_ORDERS in nodes and mp.MART["orders"] in nodes
        assert not set(warehouse) & {u for n in nodes.values() for u in n.path}
        assert catalog.get(mp.MART_WH["orders"]).urn == mp.MART["orders"]
        down = {n.ref.urn for n in catalog.lineage(mp.PG_ORDERS, direction="downstream")}
        assert {mp.MART["orders"], mp.CHART, mp.DASHBOARD} <= down


def test_unknown_assertion_and_result_types_are_kept_not_fatal(multiplatform_copy: Path) -> None:
    """A future DataHub may store an AssertionInfo type or result type we do not know: read as is."""
    from tests.catalog import multiplatform as mp

    urn = "urn:li:assertion:from-the-future"
    info = {
        "type": "ANOMALY",
        "description": "row count anomaly",
        "anomalyAssertion": {"entity": mp.RAW["orders"]},
        "entityUrn": mp.RAW["orders"],
    }
    event = {
        "timestampMillis": mp.T2,
        "runId": "r1",
        "asserteeUrn": mp.RAW["orders"],
        "assertionUrn": urn,
        "status": "COMPLETE",
        "result": {"type": "WARNING"},
    }
    with sqlite3.connect(multiplatform_copy) as conn:
        for version, aspect, value in (
            (0, "assertionInfo", info),
            (1, "assertionInfo", info),
            (1, "assertionRunEvent", event),
            (0, "assertionRunEvent", event),
        ):
            conn.execute(
                "INSERT INTO metadata_aspect_v2 (urn, aspect_name, version, metadata, system_metadata, "
                "createdon) VALUES (?, ?, ?, ?, '{}', 0)",
                (urn, aspect, version, json.dumps(value)),
            )
    with LiteCatalog(multiplatform_copy, read_only=True) as catalog:
        found = next(a for a in catalog.assertions(mp.SRC["orders"]) if a.urn == urn)
    assert (found.type, found.kind, found.native_type) == ("ANOMALY", "unknown", "row count anomaly")
    assert found.latest is not None and found.latest.result == "ERROR" and found.latest.evidence == "none"
    assert "WARNING" in (found.latest.error or "")


def test_a_remembered_read_asked_by_many_threads_at_once_runs_once(seeded_home: Path) -> None:
    """Single flight: the agents' worker threads ask for the sibling groups (or a search) together;
    the first computes, the others wait for its value instead of computing it again."""
    catalog = LiteCatalog(_lite_path(seeded_home), read_only=True)
    calls: list[int] = []
    started = threading.Event()
    release = threading.Event()

    def slow() -> int:
        calls.append(1)
        started.set()
        assert release.wait(10)
        return 42

    values: list[int] = []
    threads = [
        threading.Thread(target=lambda: values.append(catalog._memoized(("t",), slow))) for _ in range(4)
    ]
    try:
        threads[0].start()
        assert started.wait(10)
        for t in threads[1:]:
            t.start()
        release.set()
        for t in threads:
            t.join(10)
        assert values == [42] * 4 and len(calls) == 1
        assert catalog._memoized(("t",), slow) == 42 and len(calls) == 1  # and it stays remembered
    finally:
        catalog.close()


def test_a_failed_remembered_read_fails_its_waiters_and_is_retried(seeded_home: Path) -> None:
    catalog = LiteCatalog(_lite_path(seeded_home), read_only=True)
    attempts: list[int] = []

    def flaky() -> int:
        attempts.append(1)
        if len(attempts) == 1:
            raise CatalogError("the disk hiccupped")
        return 7

    try:
        with pytest.raises(CatalogError, match="hiccupped"):
            catalog._memoized(("f",), flaky)
        assert catalog._memoized(("f",), flaky) == 7 and len(attempts) == 2  # a failure is not remembered
    finally:
        catalog.close()
