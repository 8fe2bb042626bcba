"""The behavioural contract of `Catalog`, run against both adapters on the same seeded small world.

`lite` is a real DataHub Lite file; `gms` is the GmsCatalog talking HTTP to the loopback stand-in,
which validates every GraphQL document against DataHub's schema and applies the SDK's writes.
"""

from __future__ import annotations

import time
import uuid

import datahub.metadata.schema_classes as m
import pytest
from datahub.emitter.mcp import MetadataChangeProposalWrapper as MCPW

from oncall.catalog import Assertion, Catalog, Direction, tracing
from oncall.catalog.types import Entity
from oncall.catalog.urns import InvalidUrnError
from oncall.errors import NotFoundError, UserError
from oncall.world import bi, metadata, schema
from oncall.world.urns import chart_urn, dashboard_urn, dataset_urn
from tests.catalog import multiplatform as mp

DIRTY, SOURCE = "olist_dirty", "olist_source"
REVENUE = dashboard_urn(DIRTY, "revenue")
ITEMS = dataset_urn(DIRTY, "olist_order_items")
CUSTOMERS = dataset_urn(DIRTY, "olist_customers")


# ------------------------------------------------------------------------------------------- search


def test_search_ranks_the_named_dashboard_first_with_reasons(catalog: Catalog) -> None:
    hits = catalog.search("revenue dashboard wrong")
    assert hits[0].ref.type == "dashboard"
    assert hits[0].ref.name == "Revenue"
    assert any("dashboard" in r for r in hits[0].reasons)
    assert any("revenue" in r for r in hits[0].reasons)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_search_filters_by_type_and_instance(catalog: Catalog) -> None:
    hits = catalog.search("revenue", types=["chart"], instance=DIRTY)
    assert hits
    assert {h.ref.type for h in hits} == {"chart"}
    assert {h.ref.instance for h in hits} == {DIRTY}
    expected = {chart_urn(DIRTY, c.id) for c in bi.CHARTS if "revenue" in c.title.lower()}
    assert expected <= {h.ref.urn for h in hits}


def test_search_matches_columns_and_tags(catalog: Catalog) -> None:
    by_column = catalog.search("seller_id", instance=DIRTY, types=["dataset"])
    assert ITEMS in {h.ref.urn for h in by_column}
    assert any("column" in r for h in by_column for r in h.reasons)
    by_tag = catalog.search("pii", instance=SOURCE)
    assert {dataset_urn(SOURCE, t) for t in metadata.TAGS["pii"]} <= {h.ref.urn for h in by_tag}


@pytest.mark.parametrize(
    "text", ["'; DROP TABLE metadata_aspect_v2; --", '" OR 1=1 --', "%", "_", "\\", "revenue') OR ('1'='1"]
)
def test_search_treats_quotes_and_sql_metacharacters_as_text(catalog: Catalog, text: str) -> None:
    before = catalog.list_urns("dataset")
    hits = catalog.search(text)
    assert len(hits) < len(before)  # never "everything", never an error
    assert catalog.list_urns("dataset") == before


def test_search_of_a_urn_returns_that_entity(catalog: Catalog) -> None:
    hits = catalog.search(REVENUE)
    assert [h.ref.urn for h in hits] == [REVENUE]


# -------------------------------------------------------------------------------------------- get


def test_get_dataset_has_schema_owners_tags_and_terms(catalog: Catalog) -> None:
    entity = catalog.get(CUSTOMERS)
    table = schema.table("olist_customers")
    assert (entity.type, entity.name, entity.instance, entity.platform) == (
        "dataset",
        "olist_customers",
        DIRTY,
        "sqlite",
    )
    assert entity.subtype == "Table"
    assert [f.path for f in entity.fields] == list(table.columns)
    assert entity.description == table.description
    owners = {o.urn for o in entity.owners}
    assert owners == {f"urn:li:corpGroup:{g}" for g, ts in metadata.OWNERS.items() if "olist_customers" in ts}
    assert set(entity.tags) == {
        f"urn:li:tag:{t}" for t, ts in metadata.TAGS.items() if "olist_customers" in ts
    }
    assert entity.terms == ["urn:li:glossaryTerm:customer_identity"]


def test_get_view_chart_and_dashboard(catalog: Catalog) -> None:
    view = catalog.get(dataset_urn(DIRTY, "v_seller_performance"))
    assert view.subtype == "View"
    assert "v_seller_performance" in (view.view_logic or "")
    chart = catalog.get(chart_urn(DIRTY, "revenue_by_seller"))
    assert chart.type == "chart" and chart.name == "Revenue by seller"
    assert chart.inputs == [dataset_urn(DIRTY, "v_seller_performance")]
    dash = catalog.get(REVENUE)
    revenue = next(d for d in bi.DASHBOARDS if d.id == "revenue")
    assert dash.inputs == [chart_urn(DIRTY, c) for c in revenue.charts]
    assert {o.urn for o in dash.owners} == {"urn:li:corpGroup:finance_team"}


def test_unknown_and_malformed_urns(catalog: Catalog) -> None:
    ghost = dataset_urn(DIRTY, "no_such_table")
    assert not catalog.exists(ghost)
    assert catalog.exists(CUSTOMERS)
    with pytest.raises(NotFoundError, match="not in the catalog"):
        catalog.get(ghost)
    with pytest.raises(NotFoundError, match="not in the catalog"):
        catalog.lineage(ghost)
    with pytest.raises(InvalidUrnError, match="not a dataset, chart or dashboard URN"):
        catalog.get("olist_customers")


def test_bad_arguments_are_user_errors_not_missing_entities(catalog: Catalog) -> None:
    # HTTP 400 / a one-line CLI error, not the 404 of an entity that does not exist
    with pytest.raises(UserError, match="direction must be 'upstream' or 'downstream'") as bad:
        catalog.lineage(CUSTOMERS, direction="sideways")  # type: ignore[arg-type]
    assert not isinstance(bad.value, NotFoundError) and bad.value.http_status == 400
    with pytest.raises(UserError, match=r"unknown entity type\(s\) \['table'\]") as bad:
        catalog.search("orders", types=["table"])  # type: ignore[list-item]
    assert not isinstance(bad.value, NotFoundError)


def test_list_urns_per_type_and_instance(catalog: Catalog) -> None:
    for instance in (SOURCE, DIRTY):
        datasets = catalog.list_urns("dataset", instance)
        assert datasets == sorted(dataset_urn(instance, t.name) for t in schema.TABLES + schema.VIEWS)
        assert len(catalog.list_urns("chart", instance)) == len(bi.CHARTS)
        assert len(catalog.list_urns("dashboard", instance)) == len(bi.DASHBOARDS)


# ---------------------------------------------------------------------------------------- lineage


def _assert_paths_are_edges(catalog: Catalog, start: str, nodes: list) -> None:
    """Every path starts at `start`, ends at its node, and each step is a one-hop edge."""
    for node in nodes:
        assert node.path[0] == start and node.path[-1] == node.ref.urn
        assert node.hops == len(node.path) - 1


def test_upstream_of_the_dashboard_reaches_the_planted_tables(catalog: Catalog) -> None:
    nodes = catalog.lineage(REVENUE, direction="upstream")
    by_urn = {n.ref.urn: n for n in nodes}
    for table in ("olist_order_items", "olist_products", "olist_customers"):
        node = by_urn[dataset_urn(DIRTY, table)]
        assert node.hops == 3
        assert node.path[1].startswith("urn:li:chart:")
        assert node.path[2].startswith("urn:li:dataset:") and "main.v_" in node.path[2]
    assert all(n.ref.instance == DIRTY for n in nodes)
    assert dataset_urn(DIRTY, "olist_geolocation") not in by_urn
    _assert_paths_are_edges(catalog, REVENUE, nodes)


def test_hops_bound_the_walk(catalog: Catalog) -> None:
    one = catalog.lineage(REVENUE, hops=1)
    assert {n.ref.urn for n in one} == {chart_urn(DIRTY, c) for c in next(iter(bi.DASHBOARDS)).charts}
    two = catalog.lineage(REVENUE, hops=2)
    assert {n.hops for n in two} == {1, 2}


def test_downstream_of_a_table_reaches_views_charts_and_dashboards(catalog: Catalog) -> None:
    nodes = catalog.lineage(ITEMS, direction="downstream")
    urns = {n.ref.urn for n in nodes}
    views = {dataset_urn(DIRTY, v.name) for v in schema.VIEWS if "olist_order_items" in v.upstream}
    assert views <= urns
    assert chart_urn(DIRTY, "revenue_by_seller") in urns
    assert REVENUE in urns
    assert not any(SOURCE in u for u in urns)
    _assert_paths_are_edges(catalog, ITEMS, nodes)


def test_view_lineage_matches_the_world_schema(catalog: Catalog) -> None:
    for view in schema.VIEWS:
        got = {n.ref.urn for n in catalog.lineage(dataset_urn(SOURCE, view.name), hops=1)}
        assert got == {dataset_urn(SOURCE, t) for t in view.upstream}, view.name


def test_twin_in_the_other_instance(catalog: Catalog) -> None:
    assert catalog.twin(CUSTOMERS, SOURCE) == dataset_urn(SOURCE, "olist_customers")
    assert catalog.twin(REVENUE, SOURCE) == dashboard_urn(SOURCE, "revenue")
    assert catalog.twin(CUSTOMERS, "nowhere") is None


# ------------------------------------------------------------------------------------- assertions


def test_assertions_with_latest_runs(catalog: Catalog) -> None:
    dirty = {a.native_type: a for a in catalog.assertions(CUSTOMERS)}
    clean = {a.native_type: a for a in catalog.assertions(dataset_urn(SOURCE, "olist_customers"))}
    assert "customer_id_not_null" in dirty and "customer_id_not_null" in clean
    row_count = next(a for name, a in dirty.items() if name.startswith("row_count_eq_"))
    assert row_count.latest is not None and row_count.latest.result == "FAILURE"
    assert row_count.latest.actual_value and row_count.latest.actual_value > 0
    clean_latest = clean[row_count.native_type].latest
    assert clean_latest is not None and clean_latest.result == "SUCCESS"
    for a in dirty.values():
        assert a.dataset_urn == CUSTOMERS
        stamps = [r.timestamp_ms for r in a.runs]
        assert stamps == sorted(stamps, reverse=True)


def test_latest_run_is_newest_by_timestamp_not_last_written(catalog: Catalog) -> None:
    assertion = catalog.assertions(CUSTOMERS)[0]
    now = int(time.time() * 1000) + 60_000

    def event(ts: int, result: str) -> MCPW:
        return MCPW(
            entityUrn=assertion.urn,
            aspect=m.AssertionRunEventClass(
                timestampMillis=ts,
                runId=f"contract-{ts}",
                asserteeUrn=CUSTOMERS,
                assertionUrn=assertion.urn,
                status=m.AssertionRunStatusClass.COMPLETE,
                result=m.AssertionResultClass(type=result, actualAggValue=1.0),
            ),
        )

    catalog.emit([event(now, "FAILURE")])
    catalog.emit([event(now - 86_400_000, "SUCCESS")])  # written last, but older
    again = next(a for a in catalog.assertions(CUSTOMERS) if a.urn == assertion.urn)
    assert again.latest is not None
    assert (again.latest.timestamp_ms, again.latest.result) == (now, "FAILURE")
    assert len(catalog.assertions(CUSTOMERS, history=1)[0].runs) == 1
    # The bulk scan for failures takes the same run as the latest.
    assert assertion.urn in catalog.failing_assertions(DIRTY)[CUSTOMERS]
    catalog.emit([event(now + 1000, "SUCCESS")])
    assert assertion.urn not in catalog.failing_assertions(DIRTY).get(CUSTOMERS, [])


# -------------------------------------------------------------------------------------- incidents


def _incident(
    urn: str, entities: list[str], state: str, created: int, actor: str = "urn:li:corpuser:test"
) -> MCPW:
    stamp = m.AuditStampClass(time=created, actor=actor)
    return MCPW(
        entityUrn=urn,
        aspect=m.IncidentInfoClass(
            type=m.IncidentTypeClass.CUSTOM,
            customType="DATA_QUALITY",
            title=f"incident {urn[-6:]}",
            entities=entities,
            priority=1,
            status=m.IncidentStatusClass(state=state, stage=m.IncidentStageClass.TRIAGE, lastUpdated=stamp),
            source=m.IncidentSourceClass(type=m.IncidentSourceTypeClass.MANUAL),
            created=stamp,
        ),
    )


def test_incidents_of_an_entity_follow_writes(catalog: Catalog) -> None:
    first, second = (f"urn:li:incident:{uuid.uuid4()}" for _ in range(2))
    catalog.emit(
        [
            _incident(first, [CUSTOMERS, REVENUE], "ACTIVE", 1000),
            _incident(second, [CUSTOMERS], "ACTIVE", 2000),
        ]
    )
    found = catalog.incidents(CUSTOMERS)
    assert [i.urn for i in found] == [second, first]  # newest first
    assert set(found[1].entities) == {CUSTOMERS, REVENUE}
    assert found[0].custom_type == "DATA_QUALITY" and found[0].priority == 1
    assert [i.urn for i in catalog.incidents(REVENUE)] == [first]
    catalog.emit([_incident(first, [CUSTOMERS, REVENUE], "RESOLVED", 1000)])
    assert [i.urn for i in catalog.incidents(CUSTOMERS, state="ACTIVE")] == [second]
    assert [i.urn for i in catalog.incidents(CUSTOMERS, state="RESOLVED")] == [first]
    assert [i.urn for i in catalog.get(CUSTOMERS).incidents] == [second]
    assert catalog.incidents(REVENUE, state="ACTIVE") == []


def test_open_incidents_and_tagged_find_a_writer_s_marks(catalog: Catalog) -> None:
    # how `oncall reset` finds what runs wrote when its ledger lost it
    ours, theirs, closed = (f"urn:li:incident:{uuid.uuid4()}" for _ in range(3))
    catalog.emit(
        [
            _incident(ours, [CUSTOMERS], "ACTIVE", 1000, actor="urn:li:corpuser:datahub-oncall"),
            _incident(theirs, [ITEMS], "ACTIVE", 2000),
            _incident(closed, [ITEMS], "RESOLVED", 3000, actor="urn:li:corpuser:datahub-oncall"),
        ]
    )
    found = catalog.open_incidents(created_by="urn:li:corpuser:datahub-oncall")
    assert [i.urn for i in found] == [ours] and found[0].created_by == "urn:li:corpuser:datahub-oncall"
    assert {ours, theirs} <= {i.urn for i in catalog.open_incidents()}
    assert closed not in {i.urn for i in catalog.open_incidents()}
    every = catalog.all_incidents()
    assert [i.urn for i in every if i.urn in (ours, theirs, closed)] == [closed, theirs, ours]  # newest first
    assert closed in {i.urn for i in catalog.all_incidents(state="RESOLVED")}
    assert {ours, theirs}.isdisjoint(i.urn for i in catalog.all_incidents(state="RESOLVED"))
    assert {i.urn for i in catalog.all_incidents(state="ACTIVE")} == {i.urn for i in catalog.open_incidents()}
    catalog.add_tags(CUSTOMERS, ["urn:li:tag:quarantined"], context="datahub-oncall")
    catalog.add_tags(ITEMS, ["urn:li:tag:quarantined"])
    assert catalog.tagged("urn:li:tag:quarantined", context="datahub-oncall") == [CUSTOMERS]
    assert catalog.tagged("urn:li:tag:quarantined") == sorted([CUSTOMERS, ITEMS])


# ----------------------------------------------------------------------------------------- writes


def test_add_and_remove_tags_keep_other_tags(catalog: Catalog) -> None:
    kit = set(catalog.get(ITEMS).tags)
    assert kit
    catalog.add_tags(ITEMS, ["urn:li:tag:quarantined"])
    catalog.add_tags(ITEMS, ["urn:li:tag:quarantined"])  # idempotent
    after = catalog.get(ITEMS).tags
    assert set(after) == kit | {"urn:li:tag:quarantined"} and len(after) == len(kit) + 1
    catalog.remove_tags(ITEMS, ["urn:li:tag:quarantined"])
    assert set(catalog.get(ITEMS).tags) == kit


def test_links_add_relabel_and_remove(catalog: Catalog) -> None:
    catalog.add_links(CUSTOMERS, [("https://runbooks.example/1", "Postmortem"), ("https://x.example/a", "A")])
    catalog.add_links(CUSTOMERS, [("https://runbooks.example/1", "Postmortem v2")])
    links = {link.url: link.label for link in catalog.get(CUSTOMERS).links}
    assert links == {"https://runbooks.example/1": "Postmortem v2", "https://x.example/a": "A"}
    catalog.remove_links(CUSTOMERS, ["https://x.example/a"])
    assert [link.url for link in catalog.get(CUSTOMERS).links] == ["https://runbooks.example/1"]


def test_writes_to_unknown_entities_are_refused(catalog: Catalog) -> None:
    ghost = dataset_urn(DIRTY, "no_such_table")
    with pytest.raises(NotFoundError):
        catalog.add_tags(ghost, ["urn:li:tag:quarantined"])
    assert not catalog.exists(ghost)


def test_emit_and_get_aspect_round_trip(catalog: Catalog) -> None:
    docs = m.EditableDatasetPropertiesClass(description="edited by a person")
    catalog.emit([MCPW(entityUrn=CUSTOMERS, aspect=docs)])
    edited = catalog.get_aspect(CUSTOMERS, m.EditableDatasetPropertiesClass)
    assert edited is not None and edited.description == "edited by a person"
    assert catalog.get(CUSTOMERS).description == "edited by a person"  # the UI-edited text wins
    assert catalog.get_aspect(CUSTOMERS, m.DeprecationClass) is None
    ownership = catalog.get_aspect(CUSTOMERS, m.OwnershipClass)
    assert ownership is not None
    assert {o.owner for o in ownership.owners} == {o.urn for o in catalog.get(CUSTOMERS).owners}


# ----------------------------------------------------------------------------------- ping, tracing


def test_ping_and_tracing(catalog: Catalog) -> None:
    info = catalog.ping()
    assert info["ok"] is True and info["backend"] == catalog.backend and info["version"]
    with tracing() as queries:
        catalog.search("revenue")
        catalog.lineage(REVENUE, hops=1)
    assert queries
    language = "sql" if catalog.backend == "lite" else "graphql"
    assert {q.language for q in queries} == {language}
    if language == "graphql":
        assert any("searchAcrossEntities" in q.text for q in queries)
        assert any("scrollAcrossLineage" in q.text for q in queries)
    else:
        assert any("oncall_edge" in q.text for q in queries)
    # The user's words travel as parameters, never inside the query text.
    with tracing() as queries:
        catalog.search("zzqx'quoted")
    assert all("zzqx" not in q.text for q in queries)


# ------------------------------------------------------------- any DataHub: the multi-platform catalog
# Snowflake + dbt (siblings) + Airflow + Looker/Tableau, no platform instances (multiplatform.py).


def _secondaries() -> set[str]:
    return {*mp.RAW.values(), *mp.STG_WH.values(), *mp.MART_WH.values()}


def test_search_returns_one_node_per_dbt_model_and_its_table(mp_catalog: Catalog) -> None:
    hits = mp_catalog.search("orders", types=["dataset"], limit=50)
    urns = [h.ref.urn for h in hits]
    assert mp.MART["orders"] in urns and mp.MART_WH["orders"] not in urns
    assert not _secondaries() & set(urns)
    mart = next(h for h in hits if h.ref.urn == mp.MART["orders"])
    assert mart.ref.siblings == [mp.MART_WH["orders"]]
    # The warehouse table's own words find the merged node too (its name is upper case there).
    assert mp_catalog.search(mp.MART_WH["orders"])[0].ref.urn == mp.MART["orders"]
    dash = mp_catalog.search("sales overview dashboard")[0]
    assert (dash.ref.urn, dash.ref.platform, dash.ref.instance) == (mp.DASHBOARD, "looker", None)


def test_get_of_either_sibling_is_the_merged_node(mp_catalog: Catalog) -> None:
    for urn in (mp.MART["orders"], mp.MART_WH["orders"]):
        entity = mp_catalog.get(urn)
        assert entity.urn == mp.MART["orders"] and entity.siblings == [mp.MART_WH["orders"]]
        assert entity.platform == "dbt" and entity.instance is None and entity.subtype == "Model"
        assert {o.urn for o in entity.owners} == {mp.ANALYTICS, mp.FINANCE}  # the table's owners too
        assert [f.path for f in entity.fields] == mp.MART_COLUMNS["orders"]  # case-insensitively once
    job = mp_catalog.get(mp.LOAD["orders"])
    assert (job.type, job.name, job.platform) == ("dataJob", "load_orders", "airflow")
    assert job.inputs == [mp.PG_ORDERS]
    assert job.outputs == [mp.SRC["orders"]]  # the Snowflake table, as its sibling group's URN


def test_lineage_runs_through_data_jobs_and_siblings(mp_catalog: Catalog) -> None:
    nodes = mp_catalog.lineage(mp.DASHBOARD)
    by_urn = {n.ref.urn: n for n in nodes}
    assert not _secondaries() & {u for n in nodes for u in n.path}
    path = by_urn[mp.PG_ORDERS].path
    assert path[0] == mp.DASHBOARD and path[1] in (mp.CHART, mp.CHART_LTV)
    assert path[-3:] == [mp.SRC["orders"], mp.LOAD["orders"], mp.PG_ORDERS]  # dataset -> job -> dataset
    assert mp.MART["orders"] in path and mp.STG["orders"] in path
    assert by_urn[mp.LOAD["orders"]].ref.type == "dataJob"
    assert by_urn[mp.MART["customers"]].ref.siblings == [mp.MART_WH["customers"]]
    assert {mp.PG_ORDERS, mp.PG_CUSTOMERS, mp.PG_PAYMENTS} <= set(by_urn)
    _assert_paths_are_edges(mp_catalog, mp.DASHBOARD, nodes)
    # From the warehouse side: the same node, the same upstream.
    from_table = mp_catalog.lineage(mp.MART_WH["orders"])
    assert {n.ref.urn for n in from_table} == {n.ref.urn for n in mp_catalog.lineage(mp.MART["orders"])}
    assert all(n.path[0] == mp.MART["orders"] for n in from_table)


def test_downstream_blast_radius_counts_each_model_once(mp_catalog: Catalog) -> None:
    nodes = mp_catalog.lineage(mp.PG_ORDERS, direction="downstream")
    urns = [n.ref.urn for n in nodes]
    assert len(urns) == len(set(urns))
    assert {
        mp.LOAD["orders"],
        mp.SRC["orders"],
        mp.STG["orders"],
        mp.MART["orders"],
        mp.MART["customers"],
    } <= set(urns)
    assert {mp.CHART, mp.CHART_LTV, mp.DASHBOARD, mp.LOOKER_VIEW} <= set(urns)
    assert not _secondaries() & set(urns)
    one = mp_catalog.lineage(mp.RAW["orders"], direction="downstream", hops=1)
    assert [n.ref.urn for n in one] == [mp.STG["orders"]]


def test_list_urns_lists_each_sibling_group_once(mp_catalog: Catalog) -> None:
    datasets = mp_catalog.list_urns("dataset")
    assert not _secondaries() & set(datasets)
    assert {*mp.SRC.values(), *mp.STG.values(), *mp.MART.values(), mp.PG_ORDERS, mp.LOOKER_VIEW} <= set(
        datasets
    )
    assert mp_catalog.list_urns("dataJob") == sorted(mp.LOAD.values())


def test_a_listing_cut_short_says_only_that_it_is_longer(mp_catalog: Catalog) -> None:
    whole = mp_catalog.list_urns()
    assert len(whole) > 4
    cut = mp_catalog.list_urns(at_most=3)
    assert len(cut) > 3 and set(cut) <= set(whole) and cut == sorted(cut)
    assert mp_catalog.list_urns(at_most=len(whole)) == whole  # long enough: the whole list


def test_dbt_tests_read_with_names_observed_values_and_references(mp_catalog: Catalog) -> None:
    orders = {a.urn: a for a in mp_catalog.assertions(mp.MART["orders"])}
    # The warehouse table's assertions belong to the same node.
    assert {mp.NOT_NULL, mp.ACCEPTED, mp.REL_ORDERS, mp.FRESHNESS} <= set(orders)
    assert {a.urn for a in mp_catalog.assertions(mp.MART_WH["orders"])} == set(orders)
    assert all(a.dataset_urn == mp.MART["orders"] for a in orders.values())
    accepted = orders[mp.ACCEPTED]
    assert (accepted.native_type, accepted.kind, accepted.source) == (
        "accepted_values_orders_status__placed__shipped__completed",
        "accepted_values",
        "dbt",
    )
    assert accepted.fields == ["status"] and accepted.expected == '["placed", "shipped", "completed"]'
    assert [(r.result, r.actual_value) for r in accepted.runs] == [("FAILURE", 2.0), ("SUCCESS", 0.0)]
    assert accepted.latest is not None and accepted.latest.evidence == "fail"
    fk = orders[mp.REL_ORDERS]
    assert fk.kind == "foreign_key" and fk.referenced_dataset == mp.MART["customers"]
    assert fk.expected == "customers.customer_id" and fk.latest is not None and fk.latest.actual_value == 5.0
    assert orders[mp.NOT_NULL].native_type == "not_null_orders_order_id"
    customers = {a.urn: a for a in mp_catalog.assertions(mp.MART["customers"])}
    assert mp.REL_CUSTOMERS not in customers  # the referenced side's copy of the same test
    assert customers[mp.UNIQUE].kind == "unique" and customers[mp.UNIQUE].expected == "1.0"


def test_a_test_skipped_in_the_newer_dbt_run_is_no_evidence(mp_catalog: Catalog) -> None:
    found = {a.urn: a for a in mp_catalog.assertions(mp.STG["payments"])}
    skipped, ran = found[mp.SKIPPED].latest, found[mp.STG_PAYMENTS_UNIQUE].latest
    assert skipped is not None and ran is not None
    assert skipped.result == "SUCCESS" and skipped.stale and mp.INV2 in skipped.stale
    assert skipped.evidence == "none"
    assert ran.stale is None and ran.evidence == "pass"


def test_assertions_of_every_datahub_type_and_source(mp_catalog: Catalog) -> None:
    def one(dataset: str, urn: str) -> Assertion:
        return next(a for a in mp_catalog.assertions(dataset) if a.urn == urn)

    fresh = one(mp.MART["orders"], mp.FRESHNESS)
    assert (fresh.type, fresh.kind, fresh.expected) == ("FRESHNESS", "freshness", "6 hour")
    assert fresh.latest is not None and fresh.latest.result == "ERROR" and fresh.latest.evidence == "none"
    assert fresh.latest.error == "warehouse timed out"
    volume = one(mp.SRC["payments"], mp.VOLUME)
    assert (volume.kind, volume.operator, volume.expected) == ("volume", "GREATER_THAN_OR_EQUAL_TO", "100")
    assert [r.actual_value for r in volume.runs] == [10.0, 130.0]
    sql = one(mp.MART["customers"], mp.SQL)
    assert (sql.kind, sql.native_type) == ("sql", "No negative lifetime value")
    assert (
        "lifetime_value < 0" in (sql.logic or "") and sql.latest is not None and sql.latest.evidence == "none"
    )
    field = one(mp.STG["customers"], mp.FIELD)
    assert (field.kind, field.fields, field.expected) == ("field", ["first_name"], "5")
    schema_check = one(mp.SRC["orders"], mp.SCHEMA)
    assert schema_check.kind == "schema" and schema_check.latest is not None
    dmf = one(mp.SRC["orders"], mp.DMF)
    assert (dmf.native_type, dmf.source, dmf.fields) == ("NULL_COUNT", "snowflake", ["customer_id"])
    assert [r.result for r in dmf.runs] == ["FAILURE", "SUCCESS"]
    ge = one(mp.SRC["customers"], mp.GE)
    assert (ge.native_type, ge.kind, ge.source) == (
        "expect_column_values_to_not_be_null",
        "not_null",
        "great_expectations",
    )
    assert ge.latest is not None and ge.latest.actual_value == 0.0 and ge.latest.row_count == 124


# ----------------------------------------------------------------- bulk reads: the same answers at once


def test_get_many_is_get_of_each(mp_catalog: Catalog) -> None:
    ghost = mp.ds("snowflake", "analytics.raw.nope")
    urns = [mp.DASHBOARD, mp.MART_WH["orders"], mp.MART["orders"], mp.LOAD["orders"], mp.CHART, ghost]
    found = mp_catalog.get_many(urns)
    assert list(found) == urns[:-1]  # the order asked, unknown URNs left out
    for urn, entity in found.items():
        assert entity == mp_catalog.get(urn)
    assert found[mp.MART_WH["orders"]].urn == mp.MART["orders"]
    with pytest.raises(InvalidUrnError):
        mp_catalog.get_many([mp.DASHBOARD, "not-an-urn"])
    owners = mp_catalog.owners_many(urns)
    assert owners == {u: [o.urn for o in found[u].owners] if u in found else [] for u in urns}
    assert owners[mp.MART_WH["orders"]] and owners[ghost] == []


def _describes_as_the_pages(catalog: Catalog, urns: list[str]) -> list[Entity]:
    """`describe_many` gives each entity's words as its page has them, for the same entities found."""
    pages = catalog.get_many(urns)
    described = catalog.describe_many(urns)
    assert list(described) == list(pages)
    words = {"urn", "type", "name", "platform", "instance", "subtype", "siblings", "description"}
    words |= {"fields", "owners", "tags", "terms"}
    for urn, page in pages.items():
        assert described[urn].model_dump(include=words) == page.model_dump(include=words), urn
    return list(described.values())


def test_describe_many_says_what_the_pages_say(mp_catalog: Catalog) -> None:
    """The semantic index's read (on GMS a lighter document), on the multi-platform catalog."""
    ghost = mp.ds("snowflake", "analytics.raw.nope")
    urns = [*mp_catalog.list_urns(), mp.MART_WH["orders"], mp.LOAD["orders"], ghost]
    described = _describes_as_the_pages(mp_catalog, urns)
    assert ghost not in {e.urn for e in described} and len(described) == len(urns) - 1
    for words_of in ("description", "fields", "owners"):  # each compared on something
        assert any(getattr(e, words_of) for e in described), words_of


def test_describe_many_keeps_tags_and_terms(catalog: Catalog) -> None:
    """The same on the demo catalog, whose entities carry tags and glossary terms."""
    described = _describes_as_the_pages(catalog, catalog.list_urns())
    assert any(e.tags for e in described) and any(e.terms for e in described)


def test_assertions_many_is_assertions_of_each(mp_catalog: Catalog) -> None:
    urns = [mp.MART["orders"], mp.MART_WH["orders"], mp.SRC["orders"], mp.STG["payments"], mp.LOOKER_VIEW]
    for history in (20, 1):
        found = mp_catalog.assertions_many(urns, history=history)
        assert list(found) == urns
        for urn in urns:
            assert found[urn] == mp_catalog.assertions(urn, history=history)
    assert found[mp.LOOKER_VIEW] == [] and all(len(a.runs) <= 1 for a in found[mp.MART["orders"]])
    skipped = next(a for a in found[mp.STG["payments"]] if a.urn == mp.SKIPPED)
    assert skipped.latest is not None and skipped.latest.stale  # judged with its node's other tests


def test_failing_assertions_are_those_whose_latest_run_fails(mp_catalog: Catalog) -> None:
    expected = {}
    for node in mp_catalog.list_urns("dataset"):
        failing = [a.urn for a in mp_catalog.assertions(node) if a.runs and a.runs[0].result == "FAILURE"]
        if failing:
            expected[node] = sorted(failing)
    found = mp_catalog.failing_assertions()
    # The same, plus the copy of a failing dbt `relationships` test that DataHub files on the model it
    # references (`assertions` leaves that copy out: it is the referencing model's check).
    assert set(found) == set(expected)
    assert {n: [u for u in urns if u != mp.REL_CUSTOMERS] for n, urns in found.items()} == expected
    assert mp.REL_CUSTOMERS in found[mp.MART["customers"]]
    assert mp.ACCEPTED in found[mp.MART["orders"]] and mp.DMF in found[mp.SRC["orders"]]
    assert mp.FRESHNESS not in found[mp.MART["orders"]]  # its latest run is an ERROR, not a failure
    assert not _secondaries() & set(found)
    assert mp_catalog.failing_assertions("nowhere") == {}


def test_a_soft_deleted_assertion_is_neither_read_nor_failing(mp_catalog: Catalog) -> None:
    """Stateful ingestion soft-deletes the dbt tests a project dropped (`status.removed`): their last
    failing run must not keep an incident open. GMS's `assertions` leaves them out by default."""
    node = mp.MART["orders"]
    assert mp.ACCEPTED in mp_catalog.failing_assertions()[node]
    mp_catalog.emit([MCPW(entityUrn=mp.ACCEPTED, aspect=m.StatusClass(removed=True))])
    assert mp.ACCEPTED not in {a.urn for a in mp_catalog.assertions(node)}
    assert mp.ACCEPTED not in mp_catalog.failing_assertions().get(node, [])
    mp_catalog.emit([MCPW(entityUrn=mp.ACCEPTED, aspect=m.StatusClass(removed=False))])  # restored
    assert mp.ACCEPTED in mp_catalog.failing_assertions()[node]


@pytest.mark.parametrize("direction", ["upstream", "downstream"])
def test_lineage_graph_reaches_what_lineage_lists(mp_catalog: Catalog, direction: Direction) -> None:
    starts = [mp.DASHBOARD, mp.MART_WH["orders"], mp.STG["customers"], mp.PG_ORDERS, mp.LOAD["payments"]]
    graph = mp_catalog.lineage_graph(starts, direction=direction)
    walks = {u: mp_catalog.lineage(u, direction=direction) for u in starts}
    assert graph.node(mp.MART_WH["orders"]) == mp.MART["orders"]
    for urn, nodes in walks.items():
        assert graph.reach(urn) == {n.ref.urn for n in nodes}, urn
        for n in nodes:
            assert graph.refs[n.ref.urn].name == n.ref.name and graph.refs[n.ref.urn].type == n.ref.type
    reached = graph.reached_by(starts)
    assert set(reached) == {n.ref.urn for nodes in walks.values() for n in nodes}
    for node, by in reached.items():
        assert by == [u for u in starts if node in graph.reach(u)]
    with pytest.raises(NotFoundError):
        mp_catalog.lineage_graph([mp.DASHBOARD, mp.ds("snowflake", "analytics.raw.nope")])
