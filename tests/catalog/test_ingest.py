"""Ingestion of the small world: DataHub's SQLAlchemy source with the SQLite fixes, BI layer, kit metadata."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import datahub.metadata.schema_classes as m
import pytest

from oncall.catalog.gms import GmsCatalog
from oncall.catalog.ingest import SqliteSource
from oncall.catalog.lite import LiteCatalog
from oncall.config import load_config
from oncall.errors import WorldError
from oncall.world import bi, metadata, schema
from oncall.world.seed import ingest_world, recipe
from oncall.world.urns import chart_urn, dashboard_urn, dataset_urn
from tests.catalog.gms_standin import GmsStandin

INSTANCES = ("olist_source", "olist_dirty")


@pytest.fixture
def seeded(seeded_home: Path) -> Iterator[LiteCatalog]:
    catalog = LiteCatalog(load_config(seeded_home, environ={}).lite_path, read_only=True)
    yield catalog
    catalog.close()


def test_fourteen_datasets_per_instance_with_exact_urns(seeded: LiteCatalog) -> None:
    for instance in INSTANCES:
        urns = seeded.list_urns("dataset", instance)
        assert len(urns) == 14
        assert urns == sorted(dataset_urn(instance, t.name) for t in schema.TABLES + schema.VIEWS)
        subtypes = {seeded.get(u).subtype for u in urns}
        assert subtypes == {"Table", "View"}


def test_bi_layer_per_instance(seeded: LiteCatalog) -> None:
    for instance in INSTANCES:
        assert seeded.list_urns("chart", instance) == sorted(chart_urn(instance, c.id) for c in bi.CHARTS)
        assert seeded.list_urns("dashboard", instance) == sorted(
            dashboard_urn(instance, d.id) for d in bi.DASHBOARDS
        )
        for chart in bi.CHARTS:
            entity = seeded.get(chart_urn(instance, chart.id))
            assert entity.inputs == [dataset_urn(instance, v) for v in chart.inputs]
            assert {o.urn for o in entity.owners} == {f"urn:li:corpGroup:{g}" for g in chart.owners}
            assert entity.description == chart.description and entity.instance == instance


def test_kit_metadata_on_both_instances(seeded: LiteCatalog) -> None:
    for instance in INSTANCES:
        for tag, tables in metadata.TAGS.items():
            for table in tables:
                assert f"urn:li:tag:{tag}" in seeded.get(dataset_urn(instance, table)).tags
        for group, tables in metadata.OWNERS.items():
            for table in tables:
                owners = seeded.get(dataset_urn(instance, table)).owners
                assert (f"urn:li:corpGroup:{group}", "DATAOWNER") in {(o.urn, o.type) for o in owners}
    term = seeded.get_aspect("urn:li:glossaryTerm:order_status", m.GlossaryTermInfoClass)
    assert term is not None and term.name == "Order Status" and term.termSource == "INTERNAL"
    pii = seeded.get_aspect("urn:li:tag:pii", m.TagPropertiesClass)
    assert pii is not None and pii.name == "pii"


def test_view_lineage_at_table_and_column_level(seeded: LiteCatalog) -> None:
    view = dataset_urn("olist_dirty", "v_seller_performance")
    upstream = {n.ref.urn for n in seeded.lineage(view, hops=1)}
    tables = ("olist_order_items", "olist_sellers", "olist_products", "olist_order_reviews")
    assert upstream == {dataset_urn("olist_dirty", t) for t in tables}
    lineage = seeded.get_aspect(view, m.UpstreamLineageClass)
    assert lineage is not None
    columns = {
        (d.rsplit(",", 1)[-1].rstrip(")"), u.rsplit(",", 1)[-1].rstrip(")"), u.split(",")[1])
        for fine in lineage.fineGrainedLineages
        for d in fine.downstreams
        for u in fine.upstreams
    }
    assert ("review_score", "review_score", "olist_dirty.main.olist_order_reviews") in columns
    assert ("seller_city", "seller_city", "olist_dirty.main.olist_sellers") in columns
    for fine in lineage.fineGrainedLineages:
        assert all("olist_dirty.main." in u for u in fine.upstreams)  # no ghost URNs without `main.`


def test_rerun_is_idempotent_and_keeps_human_edits(seeded_copy: Path) -> None:
    config = load_config(seeded_copy, environ={})
    orders = dataset_urn("olist_dirty", "olist_orders")
    with LiteCatalog(config.lite_path) as catalog:
        catalog.add_tags(orders, ["urn:li:tag:quarantined"])
        current = "SELECT urn, aspect_name FROM metadata_aspect_v2 WHERE version = 0 ORDER BY 1, 2"
        stable = (  # aspects without ingestion timestamps: a re-run must not add versions to them
            "SELECT count(*) FROM metadata_aspect_v2 WHERE aspect_name IN ('datasetProperties', "
            "'schemaMetadata', 'chartInfo', 'dashboardInfo', 'globalTags', 'ownership', 'glossaryTerms')"
        )
        conn = sqlite3.connect(config.lite_path)
        before = conn.execute(current).fetchall(), conn.execute(stable).fetchone()
        edges = sorted(conn.execute("SELECT * FROM oncall_edge").fetchall())
        summary = ingest_world(config.home, catalog)
        assert (conn.execute(current).fetchall(), conn.execute(stable).fetchone()) == before
        assert sorted(conn.execute("SELECT * FROM oncall_edge").fetchall()) == edges
        conn.close()
        assert "urn:li:tag:quarantined" in catalog.get(orders).tags
    assert summary.datasets == 28
    assert {(i.tables, i.views, i.charts, i.dashboards, i.lineage_edges) for i in summary.instances} == {
        (9, 5, 6, 2, 14)
    }


def test_missing_world_database(home: Path) -> None:
    config = load_config(home, environ={})
    with LiteCatalog(config.lite_path, create=True) as catalog, pytest.raises(WorldError, match="is missing"):
        ingest_world(config.home, catalog)


def test_unnamed_foreign_keys_are_ingested(tmp_path: Path) -> None:
    """SQLite FKs are usually unnamed; the generic source aborts on them (REFERENCE.md D1.1)."""
    from oncall.catalog.ingest import offline_pipeline

    db = tmp_path / "unnamed.db"
    conn = sqlite3.connect(db)
    conn.executescript(
        "CREATE TABLE parent (id TEXT PRIMARY KEY);"
        "CREATE TABLE child (id TEXT, parent_id TEXT, FOREIGN KEY (parent_id) REFERENCES parent (id));"
        "CREATE VIEW v AS SELECT c.id, p.id AS pid FROM child c JOIN parent p ON c.parent_id = p.id;"
    )
    conn.close()
    lite = tmp_path / "lite.db"
    sink = {"type": "datahub-lite", "config": {"type": "sqlite", "config": {"file": str(lite)}}}
    pipeline = offline_pipeline().create(recipe(db, "tiny", sink))
    pipeline.run()
    pipeline.raise_from_status()
    with LiteCatalog(lite, read_only=True) as catalog:
        child = catalog.get_aspect(dataset_urn("tiny", "child"), m.SchemaMetadataClass)
        assert child is not None and child.foreignKeys and child.foreignKeys[0].name == "fk_parent_id__parent"
        assert [n.ref.urn for n in catalog.lineage(dataset_urn("tiny", "v"), hops=1)] == [
            dataset_urn("tiny", "child"),
            dataset_urn("tiny", "parent"),
        ]
    assert SqliteSource.__module__ == "oncall.catalog.ingest"


def test_ingest_into_gms_through_the_rest_sink(empty_standin: GmsStandin, small_world: Path) -> None:
    config = load_config(small_world, environ={}, catalog="gms", gms_url=empty_standin.url)
    catalog = GmsCatalog.from_config(config)
    summary = ingest_world(config.home, catalog)
    assert summary.backend == "gms" and summary.datasets == 28
    assert empty_standin.rejected == []
    datasets = {
        p["entityUrn"] for p in empty_standin.proposals if p["entityUrn"].startswith("urn:li:dataset:")
    }
    assert dataset_urn("olist_dirty", "v_seller_performance") in datasets
    assert len(catalog.lineage(dashboard_urn("olist_dirty", "revenue"))) == 16
    catalog.close()
