"""What only the GMS adapter has to get right: its documents, the wire, PATCH writes, server errors."""

from __future__ import annotations

import json
import socket
from collections import Counter
from pathlib import Path
from typing import Any

import datahub.metadata.schema_classes as m
import graphql
import pytest
from datahub.emitter.mcp import MetadataChangeProposalWrapper as MCPW

from oncall.catalog import open_catalog
from oncall.catalog.gms import GmsCatalog, document, document_names
from oncall.config import load_config
from oncall.errors import CatalogAuthError, CatalogError, CatalogUnavailableError, UserError
from oncall.world.urns import dataset_urn
from tests.catalog.gms_standin import STANDIN_VERSION, GmsStandin, Store, timed_requests

ORDERS = dataset_urn("olist_dirty", "olist_orders")


def test_every_graphql_document_validates_against_datahubs_schema(
    datahub_schema: graphql.GraphQLSchema,
) -> None:
    names = document_names()
    assert {
        "search_entities",
        "get_entities",
        "scroll_lineage",
        "datasets_assertions",
        "scroll_latest_results",
        "entity_incidents",
        "entity_owners",
        "describe_entities",
        "count_entities",
    } <= set(names)
    for name in names:
        errors = graphql.validate(datahub_schema, graphql.parse(document(name)))
        assert not errors, f"{name}.graphql: {[e.message for e in errors]}"


def test_the_standin_rejects_documents_the_schema_does_not_have(empty_standin: GmsStandin) -> None:
    reply = empty_standin.execute('query { dataset(urn: "x") { noSuchField } }', {})
    assert "noSuchField" in reply["errors"][0]["message"]
    assert empty_standin.rejected
    empty_standin.rejected.clear()


def test_documents_are_sent_verbatim_with_variables(standin: GmsStandin) -> None:
    catalog = GmsCatalog(standin.url)
    catalog.search("revenue'} } mutation { x }", instance="olist_dirty")
    sent = standin.documents[-2:]
    assert all(query == document("search_entities") for query, _ in sent)  # the document is untouched
    # The words travel as variables (one request per word, sent side by side: in any order).
    assert sorted(v["query"] for _, v in sent) == ["mutation", "revenue"]
    variables = sent[0][1]
    assert variables["orFilters"][0]["and"][0]["field"] == "platformInstance"
    catalog.close()


def test_open_catalog_picks_gms_from_config(standin: GmsStandin, home: Path) -> None:
    config = load_config(home, environ={"DATAHUB_GMS_URL": standin.url, "ONCALL_CATALOG": "gms"})
    catalog = open_catalog(config)
    assert catalog.backend == "gms"
    info = catalog.ping()
    assert info["version"] == STANDIN_VERSION and info["location"] == standin.url
    catalog.close()


def test_unreachable_server() -> None:
    # A port held bound but not listening refuses every connection, and nothing else can take it
    # meanwhile (a port found free and let go was once taken by a server started beside the test).
    # On 127.0.0.2, so it never stands in the way of the servers other tests start on 127.0.0.1.
    with socket.socket() as held:
        held.bind(("127.0.0.2", 0))
        catalog = GmsCatalog(f"http://127.0.0.2:{held.getsockname()[1]}", timeout_s=2, write_retries=0)
        info = catalog.ping()
        assert info["ok"] is False and "cannot reach DataHub GMS" in info["error"]
        with pytest.raises(CatalogUnavailableError, match="cannot reach DataHub GMS"):
            catalog.search("revenue")
        with pytest.raises(CatalogUnavailableError):
            catalog.emit([MCPW(entityUrn=ORDERS, aspect=m.StatusClass(removed=False))])


@pytest.mark.parametrize("status", ["401", "403"])
def test_refused_token(standin: GmsStandin, status: str) -> None:
    standin.mode = status
    catalog = GmsCatalog(standin.url, write_retries=0)
    with pytest.raises(CatalogAuthError, match=f"refused the request \\({status}\\).*DATAHUB_GMS_TOKEN"):
        catalog.get(ORDERS)
    with pytest.raises(CatalogAuthError):
        catalog.emit([MCPW(entityUrn=ORDERS, aspect=m.StatusClass(removed=False))])
    info = catalog.ping()
    assert info["ok"] is False and "DATAHUB_GMS_TOKEN" in info["error"]


def test_token_is_sent_as_bearer(datahub_schema: graphql.GraphQLSchema, seeded_home: Path) -> None:
    store = Store.from_lite(load_config(seeded_home, environ={}).lite_path)
    with GmsStandin(datahub_schema, store, token="s3cret") as server:
        with pytest.raises(CatalogAuthError):
            GmsCatalog(server.url).exists(ORDERS)
        catalog = GmsCatalog(server.url, token="s3cret", write_retries=0)
        assert catalog.exists(ORDERS)
        catalog.add_tags(ORDERS, ["urn:li:tag:quarantined"])
        assert "urn:li:tag:quarantined" in catalog.get(ORDERS).tags


def test_server_error_is_a_catalog_error_naming_the_status(standin: GmsStandin) -> None:
    standin.mode = "500"
    catalog = GmsCatalog(standin.url, write_retries=0)
    with pytest.raises(CatalogError, match="HTTP 500") as info:
        catalog.lineage(ORDERS)
    assert not isinstance(info.value, (CatalogUnavailableError, CatalogAuthError))


def test_timeout(standin: GmsStandin) -> None:
    standin.mode, standin.slow_s = "slow", 1.0
    catalog = GmsCatalog(standin.url, timeout_s=0.2)
    with pytest.raises(CatalogUnavailableError, match=r"did not answer within 0\.2 s"):
        catalog.search("revenue")


def test_tags_and_links_are_patches_so_concurrent_edits_survive(standin: GmsStandin) -> None:
    catalog = GmsCatalog(standin.url, write_retries=0)
    catalog.get(ORDERS)  # the agent read the page...
    human = {"tag": "urn:li:tag:reviewed_by_human"}
    tags = standin.store.aspects[ORDERS].setdefault("globalTags", {"tags": []})["tags"]
    tags.append(human)  # ...then a person tagged it in the UI...
    catalog.add_tags(ORDERS, ["urn:li:tag:quarantined"])  # ...and the agent's write keeps that tag
    catalog.add_links(ORDERS, [("https://runbooks.example/1", "Postmortem")])
    entity = catalog.get(ORDERS)
    assert {"urn:li:tag:reviewed_by_human", "urn:li:tag:quarantined"} <= set(entity.tags)
    writes = [p for p in standin.proposals if p["aspectName"] in ("globalTags", "institutionalMemory")]
    assert writes and all(p["changeType"] == "PATCH" for p in writes)
    assert all(p["aspect"]["contentType"] == "application/json-patch+json" for p in writes)
    assert json.loads(writes[0]["aspect"]["value"])["patch"][0]["op"] == "add"


def test_full_aspect_writes_go_through_ingest_proposal(standin: GmsStandin) -> None:
    catalog = GmsCatalog(standin.url, write_retries=0)
    catalog.emit(
        [MCPW(entityUrn=ORDERS, aspect=m.EditableDatasetPropertiesClass(description="from the SDK"))]
    )
    sent = standin.proposals[-1]
    assert (sent["entityUrn"], sent["aspectName"], sent["changeType"]) == (
        ORDERS,
        "editableDatasetProperties",
        "UPSERT",
    )
    assert catalog.get(ORDERS).description == "from the SDK"


def test_read_only_gms_refuses_writes(standin: GmsStandin) -> None:
    catalog = GmsCatalog(standin.url, read_only=True)
    with pytest.raises(CatalogError, match="read-only"):
        catalog.add_links(ORDERS, [("https://x", "x")])
    assert standin.proposals == []


def test_dbt_tests_on_a_server_that_trims_the_newer_custom_assertion_fields(
    datahub_schema: graphql.GraphQLSchema, multiplatform_lite: Path
) -> None:
    """An OSS server older than the SDK drops customAssertion.nativeType and nativeParameters
    (REFERENCE.md B1): the dbt test is still named, from `customProperties.dbt_unique_id`."""
    from tests.catalog import multiplatform as mp

    store = Store.from_lite(multiplatform_lite)
    store.oss_assertion_model = True
    with GmsStandin(datahub_schema, store) as server:
        catalog = GmsCatalog(server.url, timeout_s=5, write_retries=0)
        found = {a.urn: a for a in catalog.assertions(mp.MART["orders"])}
        catalog.close()
        assert not server.rejected
    accepted = found[mp.ACCEPTED]
    assert accepted.native_type == "accepted_values_orders_status__placed__shipped__completed"
    assert accepted.source == "dbt" and accepted.fields == ["status"]
    assert accepted.latest is not None and accepted.latest.actual_value == 2.0


def test_lineage_of_a_merged_node_reads_each_member_once(
    datahub_schema: graphql.GraphQLSchema, multiplatform_lite: Path
) -> None:
    """Round trips: one read of the start (with its siblings), one scroll per member."""
    from tests.catalog import multiplatform as mp

    with GmsStandin(datahub_schema, Store.from_lite(multiplatform_lite)) as server:
        catalog = GmsCatalog(server.url, timeout_s=5, write_retries=0)
        server.requests.clear()
        nodes = catalog.lineage(mp.MART_WH["orders"], direction="downstream")
        catalog.close()
    assert {mp.CHART, mp.DASHBOARD} <= {n.ref.urn for n in nodes}
    assert len([r for r in server.requests if r.startswith("POST /api/graphql")]) == 3


def _scrolled_with_the_page(catalog: GmsCatalog) -> list[list[str]]:
    """For each `_parallel` batch that reads pages: the URNs whose lineage scrolls go out beside it."""
    batches: list[list[str]] = []
    send = catalog._parallel

    def recording(calls: Any) -> Any:
        funcs = [getattr(c, "func", None) for c in calls]
        if any(getattr(f, "__name__", "") == "get_many" for f in funcs):
            batches.append([c.args[0] for c in calls if getattr(c.func, "__name__", "") == "_scroll_lineage"])
        return send(calls)

    catalog._parallel = recording  # type: ignore[method-assign]
    return batches


def test_a_walk_from_a_group_seen_before_scrolls_every_member_beside_the_page(
    datahub_schema: graphql.GraphQLSchema, multiplatform_lite: Path
) -> None:
    """The first walk from a dbt model learns its warehouse twin from the page (a second round for the
    twin's scroll); once a page or a scroll has shown the group, both scrolls go with the page."""
    from tests.catalog import multiplatform as mp

    start, twin = mp.MART_WH["orders"], mp.MART["orders"]
    with GmsStandin(datahub_schema, Store.from_lite(multiplatform_lite)) as server:
        fresh = GmsCatalog(server.url, timeout_s=5, write_retries=0)
        batches = _scrolled_with_the_page(fresh)
        first = fresh.lineage(start, direction="downstream")
        again = fresh.lineage(start, direction="downstream")
        fresh.close()
    assert batches[0] == [start] and sorted(batches[-1]) == sorted([start, twin])
    assert [n.model_dump() for n in again] == [n.model_dump() for n in first]


def test_a_sibling_remembered_wrongly_is_not_walked(
    datahub_schema: graphql.GraphQLSchema, multiplatform_lite: Path
) -> None:
    """What an earlier read showed is only a guess of what to scroll: the page decides the group, so a
    member that left it (or never was one) adds nothing to the walk."""
    from tests.catalog import multiplatform as mp

    start = mp.MART_WH["orders"]
    with GmsStandin(datahub_schema, Store.from_lite(multiplatform_lite)) as server:
        plain = GmsCatalog(server.url, timeout_s=5, write_retries=0)
        expected = plain.lineage_graph([start], direction="downstream")
        plain.close()
        misled = GmsCatalog(server.url, timeout_s=5, write_retries=0)
        misled._seen_siblings[start] = (mp.RAW["orders"],)  # upstream of it, not its sibling
        batches = _scrolled_with_the_page(misled)
        got = misled.lineage_graph([start], direction="downstream")
        misled.close()
    assert mp.RAW["orders"] in batches[0]  # it was scrolled...
    assert got.edges == expected.edges and got.refs == expected.refs  # ...and left out of the graph


def test_every_scroll_reads_all_its_pages(
    datahub_schema: graphql.GraphQLSchema, multiplatform_lite: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lineage walks, entity listings and the latest-results scan give the same answer when GMS hands
    them out two results at a time (a real catalog is many pages of 5,000)."""
    from oncall.catalog import gms
    from tests.catalog import multiplatform as mp

    def answers(catalog: GmsCatalog) -> list[Any]:
        return [
            [n.model_dump() for n in catalog.lineage(mp.DASHBOARD)],
            catalog.lineage_graph([mp.RAW["orders"]], direction="downstream"),
            catalog.list_urns("dataset"),
            catalog.failing_assertions(),
        ]

    with GmsStandin(datahub_schema, Store.from_lite(multiplatform_lite)) as server:
        whole = GmsCatalog(server.url, timeout_s=5, write_retries=0)
        expected = answers(whole)
        whole.close()
        monkeypatch.setattr(gms, "_PAGE", 2)
        monkeypatch.setattr(gms, "_LIGHT_PAGE", 2)
        server.documents.clear()
        paged = GmsCatalog(server.url, timeout_s=5, write_retries=0)
        got = answers(paged)
        paged.close()
    scrolled = [v["scrollId"] for _q, v in server.documents if v.get("scrollId")]
    assert len(scrolled) > 10  # later pages were asked for...
    assert got == expected  # ...and nothing was lost or repeated
    assert all(expected), "the fixture must give every read something to page through"


def test_split_reads_keep_to_gms_parallel(
    datahub_schema: graphql.GraphQLSchema, multiplatform_lite: Path
) -> None:
    """A walk from several datasets sends its scrolls side by side, never more at once than
    `gms_parallel` allows (a small GMS is not flooded), and answers as it does one at a time."""
    import threading
    import time

    from tests.catalog import multiplatform as mp

    starts = [*mp.MART.values(), *mp.STG.values()]

    def walk(parallel: int) -> tuple[Any, int]:
        catalog = GmsCatalog(server.url, timeout_s=5, write_retries=0, parallel=parallel)
        send, lock, state = catalog._http.request, threading.Lock(), {"now": 0, "most": 0}

        def counted(*args: Any, **kwargs: Any) -> Any:
            with lock:
                state["now"] += 1
                state["most"] = max(state["most"], state["now"])
            try:
                time.sleep(0.02)  # long enough for the others to be sent meanwhile
                return send(*args, **kwargs)
            finally:
                with lock:
                    state["now"] -= 1

        catalog._http.request = counted  # type: ignore[method-assign]
        graph = catalog.lineage_graph(starts, direction="upstream")
        catalog.close()
        return graph, state["most"]

    with GmsStandin(datahub_schema, Store.from_lite(multiplatform_lite)) as server:
        alone, one = walk(1)
        side_by_side, most = walk(3)
    assert one == 1 and most == 3  # 6 starts and their siblings: more requests than 3
    assert side_by_side == alone
    with pytest.raises(UserError, match="gms_parallel"):
        GmsCatalog(server.url, parallel=0)


def test_a_long_list_is_read_in_one_wave_of_bigger_requests(
    datahub_schema: graphql.GraphQLSchema, multiplatform_lite: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batches grow from their least size towards their most so that a list fills one wave of
    `gms_parallel` requests, never past the most; the answers do not depend on the split."""
    from oncall.catalog import gms
    from tests.catalog import multiplatform as mp

    split = GmsCatalog("http://127.0.0.1:9", parallel=8)._batches
    urns = [f"u{i:03}" for i in range(100)]
    assert [len(b) for b in split(urns[:10], (3, 5))] == [3, 3, 3, 1]  # small: the least size
    assert [len(b) for b in split(urns[:30], (3, 5))] == [4] * 7 + [2]  # grown: one wave of 8
    assert len(split(urns, (3, 5))) == 20  # capped at the most: more waves
    assert [u for b in split(urns, (3, 5)) for u in b] == urns
    assert [len(b) for b in split(urns[:10], 4)] == [4, 4, 2]  # a fixed size stays fixed

    every = [*mp.MART.values(), *mp.STG.values(), *mp.RAW.values(), mp.CHART, mp.DASHBOARD]
    with GmsStandin(datahub_schema, Store.from_lite(multiplatform_lite)) as server:
        catalog = GmsCatalog(server.url, timeout_s=5, write_retries=0, parallel=2)
        monkeypatch.setattr(gms, "_OWNERS_BATCH", (1, 100))
        server.documents.clear()
        grown = catalog.owners_many(every)
        requests = sum("oncallEntityOwners" in q for q, _v in server.documents)
        monkeypatch.setattr(gms, "_OWNERS_BATCH", 1)
        one_each = catalog.owners_many(every)
        catalog.close()
    assert requests == 2 and grown == one_each and any(grown.values())


def test_gms_parallel_is_a_setting(tmp_path: Path) -> None:
    environ = {"ONCALL_GMS_PARALLEL": "2", "ONCALL_CATALOG": "gms", "DATAHUB_GMS_URL": "http://127.0.0.1:9"}
    config = load_config(tmp_path, environ)
    catalog = open_catalog(config)
    assert isinstance(catalog, GmsCatalog) and catalog.parallel == 2
    catalog.close()


def test_a_first_run_stops_listing_once_the_catalog_is_too_big_to_index(
    datahub_schema: graphql.GraphQLSchema,
    multiplatform_lite: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With no index kept, a catalog over the lazy-rebuild limit is found too big after the pages
    that pass the limit, not after all of them (a 100k catalog is 10 pages one after the other)."""
    from oncall.catalog import gms, vectors

    monkeypatch.setattr(gms, "_LIGHT_PAGE", 2)
    with GmsStandin(datahub_schema, Store.from_lite(multiplatform_lite)) as server:
        catalog = GmsCatalog(server.url, timeout_s=5, write_retries=0)
        every = len(catalog.list_urns())
        pages = sum("oncallScrollEntities" in q for q, _v in server.documents)
        server.documents.clear()
        with pytest.raises(vectors.IndexUnavailableError, match="more than 3 entities"):
            vectors.ensure_index(catalog, tmp_path / "vectors", rebuild_limit=3)
        read = sum("oncallScrollEntities" in q for q, _v in server.documents)
        catalog.close()
    assert every > 6 and pages >= every // 2
    assert 1 <= read <= 3 < pages  # two results a page (a group's secondary is skipped): 4 in by page 3


def test_a_new_home_counts_and_lists_side_by_side_and_a_later_run_only_counts(
    datahub_schema: graphql.GraphQLSchema,
    multiplatform_lite: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """In a home that keeps nothing, the listing is needed whatever the count says: the two go out
    together (a round trip fewer before the Detective reads). Once the catalog is known too big, a
    run at the same count only counts; a small catalog still gets its index from the listing."""
    from oncall.catalog import gms, vectors

    monkeypatch.setattr(gms, "_LIGHT_PAGE", 2)
    with GmsStandin(datahub_schema, Store.from_lite(multiplatform_lite)) as server:
        catalog = GmsCatalog(server.url, timeout_s=5, write_retries=0)
        spans = timed_requests(catalog)
        server.latency_s = 0.2  # long enough that requests sent together overlap on any machine
        with pytest.raises(vectors.IndexUnavailableError):
            vectors.ensure_index(catalog, tmp_path / "vectors", rebuild_limit=3)
        first = sorted(spans)
        spans.clear()
        with pytest.raises(vectors.IndexUnavailableError):
            vectors.ensure_index(catalog, tmp_path / "vectors", rebuild_limit=3)
        later = [name for _s, _e, name in spans]
        server.latency_s = 0.0
        vectors._cache.clear()
        index = vectors.ensure_index(catalog, tmp_path / "small", rebuild_limit=1000)
        every = catalog.list_urns()
        catalog.close()
    count = next(s for s in first if s[2] == "count_entities")
    page = next(s for s in first if s[2] == "scroll_entities")
    assert count[0] < page[1] and page[0] < count[1]  # in flight together
    assert later == ["count_entities"]
    assert sorted(index.urns) == every


def test_a_scan_of_many_pages_is_read_one_scroll_per_platform(
    datahub_schema: graphql.GraphQLSchema, multiplatform_lite: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past one page, the failing scan reads one scroll per platform the server counts, plus one for
    the platforms it left out, side by side: the same failing checks as one scroll. A sibling group is
    read through one member only. A server that cannot aggregate is read as one scroll, with the same
    answer."""
    from oncall.catalog import gms

    def scan(server: GmsStandin) -> tuple[dict[str, list[str]], list[dict[str, Any]], set[str]]:
        catalog = GmsCatalog(server.url, timeout_s=5, write_retries=0)
        server.documents.clear()
        found = catalog.failing_assertions()
        catalog.close()
        filters = [
            f
            for q, v in server.documents
            if "oncallScrollLatestResults" in q
            for group in v.get("orFilters") or []
            for f in group["and"]
        ]
        return found, filters, _scanned(server)

    with GmsStandin(datahub_schema, Store.from_lite(multiplatform_lite)) as server:
        whole, _, every = scan(server)
        monkeypatch.setattr(gms, "_PAGE", 2)
        monkeypatch.setattr(gms, "_LIGHT_PAGE", 2)
        server._resolvers.max_agg_values = 1  # one platform counted: the others are the last part
        split, filters, scanned = scan(server)
        assert any("oncallDatasetPlatforms" in q for q, _v in server.documents)

        def no_aggregation(_input: dict[str, Any]) -> dict[str, Any]:
            raise ValueError("Validation error: FieldUndefined aggregateAcrossEntities")

        monkeypatch.setattr(server._resolvers, "aggregate", no_aggregation)
        plain, plain_filters, _ = scan(server)
    assert whole and split == whole == plain
    assert len({u.split(",")[0] for u in scanned}) > 2  # every platform's datasets
    skipped = every - scanned
    assert skipped and scanned < every  # the counted platform's groups are not read again in the rest
    assert all(set(server.store.siblings(u)[1]) & scanned for u in skipped), "each group read once"
    counted = [f for f in filters if f["field"] == "platform" and not f["negated"]]
    rest = [f for f in filters if f["field"] == "platform" and f["negated"]]
    assert (
        len({tuple(f["values"]) for f in counted}) == 1 and rest and rest[0]["values"] == counted[0]["values"]
    )
    assert not plain_filters  # one scroll, unfiltered


def test_a_platform_of_many_pages_is_split_by_sibling_groups(
    datahub_schema: graphql.GraphQLSchema, multiplatform_lite: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A platform of more than a page is read as two parts side by side, its datasets in a sibling
    group and the others: they partition it, so the scan finds the same failing checks and reads
    every dataset once."""
    from oncall.catalog import gms

    with GmsStandin(datahub_schema, Store.from_lite(multiplatform_lite)) as server:
        whole = GmsCatalog(server.url, timeout_s=5, write_retries=0)
        expected = whole.failing_assertions()
        whole.close()
        monkeypatch.setattr(gms, "_PAGE", 2)
        server.documents.clear()
        split = GmsCatalog(server.url, timeout_s=5, write_retries=0)
        got = split.failing_assertions()
        split.close()
        scans = [v for q, v in server.documents if "oncallScrollLatestResults" in q and not v.get("scrollId")]
        parts = [
            {(f["field"], f.get("condition"), bool(f["negated"])): f.get("values") for f in group["and"]}
            for v in scans
            for group in v.get("orFilters") or []
        ]
        held: Counter[str] = Counter()
        for q, v in list(server.documents):  # answered again below, which logs more documents
            if "oncallScrollLatestResults" in q and v.get("orFilters"):
                page = server.execute(q, v)["data"]["scrollAcrossEntities"]["searchResults"]
                held.update(r["entity"]["urn"] for r in page)
    assert got == expected and expected
    grouped = [p for p in parts if ("siblings", "EXISTS", False) in p]
    ungrouped = [p for p in parts if ("siblings", "EXISTS", True) in p]
    assert grouped and len(grouped) == len(ungrouped), parts  # a platform past a page: both halves
    platform = ("platform", "EQUAL", False)
    assert {str(p[platform]) for p in grouped} == {str(p[platform]) for p in ungrouped}
    assert held and max(held.values()) == 1, "each dataset in one part only"


def _scanned(server: GmsStandin) -> set[str]:
    """The datasets the last documents' latest-results pages held (the stand-in answers again)."""
    sent = [(q, v) for q, v in server.documents if "oncallScrollLatestResults" in q]
    return {
        r["entity"]["urn"]
        for q, v in sent
        for r in server.execute(q, v)["data"]["scrollAcrossEntities"]["searchResults"]
    }


def test_remembered_sibling_groups_stay_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only groups are remembered (a dataset seen alone forgets the group it was in), and a long-lived
    process starts over once the bound is reached instead of growing with all it ever read."""
    from oncall.catalog import gms

    def page(urn: str, *siblings: str) -> dict[str, Any]:
        others = [{"urn": s, "siblings": {"isPrimary": False}} for s in siblings]
        return {"urn": urn, "siblings": {"isPrimary": True, "siblings": others} if siblings else None}

    catalog = GmsCatalog("http://127.0.0.1:9", timeout_s=1)
    catalog._remember_siblings([page("a", "a_wh"), page("lonely")])
    assert catalog._seen_siblings == {"a": ("a_wh",), "a_wh": ("a",)}
    catalog._remember_siblings([page("a")])  # the page now shows it alone
    assert "a" not in catalog._seen_siblings
    monkeypatch.setattr(gms, "_SEEN_SIBLINGS_MAX", 4)
    catalog._remember_siblings([page(f"m{i}", f"m{i}_wh") for i in range(5)])
    assert len(catalog._seen_siblings) <= 4 and catalog._seen_siblings["m4"] == ("m4_wh",)
    catalog.close()


def test_the_entities_version_is_the_count_and_the_hour(
    datahub_schema: graphql.GraphQLSchema,
    multiplatform_lite: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A kept semantic index is taken as current without listing every entity while the server's count
    and the hour stand; an added entity, or the next hour, has the whole list read again."""
    from oncall.catalog import gms, vectors

    def scrolls(server: GmsStandin) -> int:
        return sum("oncallScrollEntities" in q for q, _v in server.documents)

    with GmsStandin(datahub_schema, Store.from_lite(multiplatform_lite)) as server:
        catalog = GmsCatalog(server.url, timeout_s=5, write_retries=0)
        first = vectors.ensure_index(catalog, tmp_path / "vectors")  # built: the list was read
        assert scrolls(server) == 1
        vectors._cache.clear()  # a later process
        again = vectors.ensure_index(catalog, tmp_path / "vectors")
        assert scrolls(server) == 1 and again.fingerprint == first.fingerprint
        before = catalog.entities_version()
        new = "urn:li:dataset:(urn:li:dataPlatform:snowflake,analytics.raw.refunds,PROD)"
        server.store.apply(
            {
                "entityUrn": new,
                "aspectName": "datasetProperties",
                "aspect": {"value": json.dumps({"name": "refunds"})},
            }
        )
        assert catalog.entities_version() != before
        vectors._cache.clear()
        rebuilt = vectors.ensure_index(catalog, tmp_path / "vectors")
        assert scrolls(server) == 2 and new in rebuilt.urns
        hour = gms._version_period()
        monkeypatch.setattr(gms, "_version_period", lambda: hour + 1)
        vectors._cache.clear()
        vectors.ensure_index(catalog, tmp_path / "vectors")  # the next hour: checked again, still current
        assert scrolls(server) == 3
        catalog.close()


def test_a_group_read_through_its_dbt_member_is_answered_under_its_warehouse_representative(
    datahub_schema: graphql.GraphQLSchema, multiplatform_lite: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With `dbt_is_primary_sibling: false` the warehouse table stands for the group. The split scan
    reads the group through its dbt member only, and answers it as one scroll does: under the
    warehouse table, with the checks of both."""
    from oncall.catalog import gms

    store = Store.from_lite(multiplatform_lite)
    flipped = []
    for urn, aspects in list(store.aspects.items()):
        own = aspects.get("siblings")
        if urn.startswith("urn:li:dataset:(urn:li:dataPlatform:dbt,") and own and own.get("siblings"):
            aspects["siblings"] = {**own, "primary": False}
            for other in own["siblings"]:
                store.aspects.setdefault(other, {})["siblings"] = {"siblings": [urn], "primary": True}
                flipped.append(other)
    store.changed()
    with GmsStandin(datahub_schema, store) as server:
        whole = GmsCatalog(server.url, timeout_s=5, write_retries=0)
        expected = whole.failing_assertions()
        whole.close()
        monkeypatch.setattr(gms, "_PAGE", 2)
        split = GmsCatalog(server.url, timeout_s=5, write_retries=0)
        got = split.failing_assertions()
        split.close()
        parts = [
            (q, v) for q, v in server.documents if "oncallScrollLatestResults" in q and v.get("orFilters")
        ]
        read = {
            r["entity"]["urn"]
            for q, v in parts
            for r in server.execute(q, v)["data"]["scrollAcrossEntities"]["searchResults"]
        }
    assert flipped and set(expected) & set(flipped), "some failing group stands as its warehouse table"
    assert got == expected
    assert read and not read & set(flipped), "the parts read no warehouse side of a dbt group"


@pytest.mark.parametrize(
    ("written", "counted"), [("both", 10), ("warehouse", 10), ("warehouse", 1), ("dbt", 10)]
)
def test_a_group_named_from_one_side_only_keeps_its_checks_in_the_split_scan(
    datahub_schema: graphql.GraphQLSchema,
    multiplatform_lite: Path,
    monkeypatch: pytest.MonkeyPatch,
    written: str,
    counted: int,
) -> None:
    """A server without the sibling hook serves `siblings` only on the side it was written. The split
    scan leaves a warehouse table grouped with dbt to the dbt part; where the dbt row does not name it,
    the counts show the shortfall and those tables are read after all: the same checks as one scroll.
    Also when the warehouse is among the platforms the server did not count (`counted` 1: dbt only,
    the others' shortfall is the scroll's total less the counts). With both sides named (the hook's
    work), nothing more is read."""
    from oncall.catalog import gms, gms_scan

    store = Store.from_lite(multiplatform_lite)
    if written != "both":
        store.sibling_hook = False
        for urn, aspects in store.aspects.items():
            on_dbt = urn.startswith("urn:li:dataset:(urn:li:dataPlatform:dbt,")
            if aspects.get("siblings") and on_dbt != (written == "dbt"):
                del aspects["siblings"]
        store.changed()

    def scan() -> dict[str, list[str]]:
        catalog = GmsCatalog(server.url, timeout_s=5, write_retries=0)
        try:
            return catalog.failing_assertions()
        finally:
            catalog.close()

    with GmsStandin(datahub_schema, store) as server:
        expected = scan()
        monkeypatch.setattr(gms, "_PAGE", 2)
        server._resolvers.max_agg_values = counted
        server.documents.clear()
        got = scan()
        rescues = [
            group["and"]
            for q, v in server.documents
            if "oncallScrollLatestResults" in q
            for group in v.get("orFilters") or []
            if any(
                f["field"] == "siblings" and f.get("condition") == "START_WITH" and not f["negated"]
                for f in group["and"]
            )
        ]
        monkeypatch.setattr(gms_scan, "lost_groups", lambda *_a: [])
        without = scan()
    assert expected and got == expected
    if written == "warehouse":
        assert rescues and without != expected, "the parts alone lose the tables only they name"
        others = [g for g in rescues if any(f["field"] == "platform" and f["negated"] for f in g)]
        assert bool(others) == (counted == 1), rescues  # the left-out platforms' part, or snowflake's
    else:
        assert not rescues and without == expected
