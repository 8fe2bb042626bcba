"""The whole product on the GMS path: `setup`, the incident loop and `reset` against a stand-in DataHub.

No DataHub server can run here, so `catalog: gms` points at tests/catalog/gms_standin.py: a loopback
HTTP server that validates every GraphQL document against DataHub's real schema before executing it,
and applies the `ingestProposal` MCPs of the REST sink and the SDK (UPSERT and PATCH) to its store. Its
two consistency gaps are switched on, as a real GMS has them: the sink's async batches reach storage
late, and search, lineage, relationships and run events lag every write. The answer must still be the
one DataHub Lite gives.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import datahub.metadata.schema_classes as m
import graphql
import pytest

from oncall.agents import reset
from oncall.bootstrap import SetupSummary, setup
from oncall.catalog.gms import GmsCatalog
from oncall.config import Config, load_config
from oncall.errors import CatalogError
from oncall.report.models import RunResult
from oncall.report.quarantine import QUARANTINE_TAG
from oncall.world import bi, schema
from oncall.world.seed import ingest_world
from oncall.world.urns import dashboard_urn, dataset_urn
from tests.catalog.gms_standin import GmsStandin, Store
from tests.plugins.agents import RunOffline

TEXT = "revenue dashboard wrong"
PROD, BASE = "olist_dirty", "olist_source"
ITEMS, PRODUCTS, CUSTOMERS = (
    dataset_urn(PROD, t) for t in ("olist_order_items", "olist_products", "olist_customers")
)
REVENUE = dashboard_urn(PROD, "revenue")
HUMAN_TAG = "urn:li:tag:reviewed_by_human"
HUMAN_LINK = "https://wiki.example/olist/order-items"
LAG_S = 0.3
"""How late the stand-in's queue and index show a write during setup (a real GMS: about a second)."""


@dataclass
class GmsWorld:
    """The stand-in after `setup`, and what setup sent it."""

    server: GmsStandin
    config: Config
    summary: SetupSummary
    setup_proposals: list[dict[str, Any]]
    setup_requests: list[str]

    def catalog(self) -> GmsCatalog:
        return GmsCatalog(self.server.url, timeout_s=5, write_retries=0)

    def proposals_since(self, start: int, aspect: str) -> list[dict[str, Any]]:
        return [p for p in self.server.proposals[start:] if p["aspectName"] == aspect]


@pytest.fixture(scope="module")
def gms(
    datahub_schema: graphql.GraphQLSchema, small_world: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GmsWorld]:
    """`oncall setup` with `catalog: gms` on a copy of the small world, into an empty stand-in."""
    home = tmp_path_factory.mktemp("gms_loop") / "home"
    shutil.copytree(small_world, home)
    store = Store(async_lag_s=LAG_S, index_lag_s=LAG_S)
    with GmsStandin(datahub_schema, store) as server:
        config = load_config(home, environ={"ONCALL_CATALOG": "gms", "DATAHUB_GMS_URL": server.url})
        summary = setup(config)
        yield GmsWorld(server, config, summary, list(server.proposals), list(server.requests))
    assert not server.rejected, f"documents rejected by DataHub's schema: {server.rejected}"


def _patch(proposal: dict[str, Any]) -> dict[str, Any]:
    assert proposal["changeType"] == "PATCH"
    assert proposal["aspect"]["contentType"] == "application/json-patch+json"
    value: dict[str, Any] = json.loads(proposal["aspect"]["value"])
    return value


def test_setup_ingests_both_instances_through_the_rest_sink_and_publishes_assertions(gms: GmsWorld) -> None:
    summary = gms.summary
    assert summary.backend == "gms"
    view_edges = sum(len(v.upstream) for v in schema.VIEWS)
    for inst in summary.ingest.instances:
        assert (inst.tables, inst.views) == (len(schema.TABLES), len(schema.VIEWS)), inst
        assert (inst.charts, inst.dashboards) == (len(bi.CHARTS), len(bi.DASHBOARDS)), inst
        assert inst.lineage_edges == view_edges and inst.column_edges > 0
    assert {i.instance for i in summary.ingest.instances} == {PROD, BASE}

    # The databases went through DataHub's REST sink (async batches), everything else through the SDK.
    endpoints = {r.split("&")[0] for r in gms.setup_requests}
    assert {"POST /aspects?action=ingestProposalBatch", "POST /aspects?action=ingestProposal"} <= endpoints
    sent = {(p["entityUrn"], p["aspectName"]) for p in gms.setup_proposals}
    for instance in (PROD, BASE):
        for table in schema.TABLES + schema.VIEWS:
            urn = dataset_urn(instance, table.name)
            assert {(urn, "schemaMetadata"), (urn, "datasetProperties")} <= sent, urn
        for view in schema.VIEWS:
            assert (dataset_urn(instance, view.name), "upstreamLineage") in sent
    tags = [p for p in gms.setup_proposals if p["aspectName"] == "globalTags"]
    assert tags and all("arrayPrimaryKeys" in _patch(p) for p in tags)  # kit tags never clobber

    # Assertions: one info per assertion, one run event each, all readable over GraphQL.
    kinds = Counter(p["aspectName"] for p in gms.setup_proposals)
    quality = summary.quality or {}
    assert quality["assertions"] == kinds["assertionInfo"] > 0
    assert quality["run_events"] == kinds["assertionRunEvent"]
    infos = [
        json.loads(p["aspect"]["value"]) for p in gms.setup_proposals if p["aspectName"] == "assertionInfo"
    ]
    asserted = {info["datasetAssertion"]["dataset"] for info in infos}
    catalog = gms.catalog()
    try:
        shown = {ds: {a.native_type: a for a in catalog.assertions(ds, history=5)} for ds in asserted}
    finally:
        catalog.close()
    assert sum(len(checks) for checks in shown.values()) == quality["assertions"]
    assert all(len(a.runs) == 1 for checks in shown.values() for a in checks.values())
    prod, base = (shown[dataset_urn(i, "olist_order_items")]["seller_id_length_eq_32"] for i in (PROD, BASE))
    assert (prod.runs[0].result, base.runs[0].result) == ("FAILURE", "SUCCESS")


def _same_answer(gms_run: RunResult, lite_run: RunResult) -> None:
    assert gms_run.symptom is not None and lite_run.symptom is not None
    assert gms_run.symptom.urn == lite_run.symptom.urn == REVENUE
    assert gms_run.verdict == lite_run.verdict == "root_cause_found"
    paths = {rc.dataset_urn: rc.lineage_path for rc in gms_run.origins}
    assert set(paths) == {ITEMS, PRODUCTS, CUSTOMERS}
    assert paths == {rc.dataset_urn: rc.lineage_path for rc in lite_run.origins}
    for path in paths.values():  # dashboard -> chart -> view -> table
        assert [u.split(":")[2] for u in path] == ["dashboard", "chart", "dataset", "dataset"]
        assert path[0] == REVENUE and gms_run.names[path[2]].startswith("v_")

    def regressions(run: RunResult) -> set[tuple[str, str]]:
        return {(e.dataset_urn, e.native_type) for e in run.diff if e.status == "regression"}

    assert regressions(gms_run) == regressions(lite_run) and regressions(gms_run)
    assert {b.urn for b in gms_run.blast_radius} == {b.urn for b in lite_run.blast_radius}
    assert {(rc.dataset_urn, rc.origin) for rc in gms_run.root_causes} == {
        (rc.dataset_urn, rc.origin) for rc in lite_run.root_causes
    }


def test_incident_loop_on_gms_gives_lites_answer_writes_through_the_sdk_and_resets(
    gms: GmsWorld, seeded_copy: Path, run_offline: RunOffline
) -> None:
    store = gms.server.store
    store.refresh()
    store.index_lag_s = 3600  # from here on the index shows nothing new until the test refreshes it
    catalog = gms.catalog()
    try:
        # A person's tag and link on an origin: the agent's PATCHes and the reset must keep them.
        catalog.add_tags(ITEMS, [HUMAN_TAG])
        catalog.add_links(ITEMS, [(HUMAN_LINK, "Team wiki")])
        lite_run, _ = run_offline(seeded_copy, TEXT, dry_run=True)
        start = len(gms.server.proposals)
        first, events = run_offline(gms.config, TEXT)

        _same_answer(first, lite_run)
        queries = [q for e in events if e.kind == "tool_call" for q in e.data["queries"]]
        assert queries and {q["language"] for q in queries} == {"graphql"}

        incidents = {w.detail: w.urn for w in first.writes if w.aspect == "incidentInfo"}
        assert set(incidents) == {ITEMS, PRODUCTS, CUSTOMERS}
        assert {w.action for w in first.writes if w.aspect == "incidentInfo"} == {"create"}
        assert first.writes and all(w.verified for w in first.writes), first.writes
        assert len(gms.proposals_since(start, "incidentInfo")) == 3
        tag_patches = gms.proposals_since(start, "globalTags")
        assert {p["entityUrn"] for p in tag_patches} == set(incidents)
        for p in tag_patches:
            value = _patch(p)
            assert value["arrayPrimaryKeys"]["tags"] and value["patch"][0]["op"] == "add"
        links = gms.proposals_since(start, "institutionalMemory")
        assert {p["entityUrn"] for p in links} == {*incidents, REVENUE}
        assert all(_patch(p)["arrayPrimaryKeys"] == {"elements": ["url"]} for p in links)
        url = next(w.detail for w in first.writes if w.aspect == "institutionalMemory")

        for origin, urn in incidents.items():  # read back: the incident, the tag, the link
            info = catalog.get_aspect(urn, m.IncidentInfoClass)
            assert info is not None and info.status.state == "ACTIVE" and info.entities[0] == origin
            assert info.source.type == "ASSERTION_FAILURE" and info.source.sourceUrn
            entity = catalog.get(origin)
            assert QUARANTINE_TAG in entity.tags and url in {link.url for link in entity.links}
        ours = catalog.get(ITEMS)
        assert HUMAN_TAG in ours.tags and HUMAN_LINK in {link.url for link in ours.links}

        # Before the server has indexed the first run: still no second incident.
        again, _ = run_offline(gms.config, TEXT)
        assert not [w for w in again.writes if w.action in ("create", "update")], again.writes
        assert {w.urn for w in again.writes if w.aspect == "incidentInfo"} == set(incidents.values())
        assert len(gms.proposals_since(start, "incidentInfo")) == 3

        store.refresh()
        for origin, urn in incidents.items():  # found the way the UI finds them: by `entities`
            assert [i.urn for i in catalog.incidents(origin, state="ACTIVE")] == [urn]

        undone = reset(gms.config)
        assert undone and all(w.verified for w in undone), undone
        assert Counter(w.action for w in undone) == Counter(resolve=3, remove=3 + 4)
        removals = gms.proposals_since(start, "globalTags")[len(tag_patches) :]
        assert removals and all(_patch(p)["patch"][0]["op"] == "remove" for p in removals)
        for origin, urn in incidents.items():
            resolved = catalog.get_aspect(urn, m.IncidentInfoClass)
            assert resolved is not None and resolved.status.state == "RESOLVED"
            entity = catalog.get(origin)
            assert QUARANTINE_TAG not in entity.tags and url not in {link.url for link in entity.links}
        assert url not in {link.url for link in catalog.get(REVENUE).links}
        ours = catalog.get(ITEMS)
        assert HUMAN_TAG in ours.tags and HUMAN_LINK in {link.url for link in ours.links}
        store.refresh()
        for origin, urn in incidents.items():
            assert catalog.incidents(origin, state="ACTIVE") == []
            assert [i.urn for i in catalog.incidents(origin, state="RESOLVED")] == [urn]
        assert reset(gms.config) == []  # the ledger is spent: nothing left to undo
    finally:
        catalog.close()


def test_setup_says_so_when_the_servers_index_never_shows_the_ingested_world(
    datahub_schema: graphql.GraphQLSchema, small_world: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    shutil.copytree(small_world, home)
    with GmsStandin(datahub_schema, Store(index_lag_s=600)) as server:
        config = load_config(home, environ={"ONCALL_CATALOG": "gms", "DATAHUB_GMS_URL": server.url})
        catalog = GmsCatalog(server.url, write_retries=0, index_wait_s=0.3)
        try:
            with pytest.raises(
                CatalogError, match=r"did not show the ingested olist_source instance after 0\.3 s"
            ):
                ingest_world(config.home, catalog)
        finally:
            catalog.close()
        assert server.store.get(dataset_urn(BASE, "olist_orders"))  # stored, only not searchable yet
