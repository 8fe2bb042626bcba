"""The run-event feed: every event written after a position, once, in write order (Lite and GMS)."""

from __future__ import annotations

import time
from pathlib import Path

import datahub.metadata.schema_classes as m
import graphql
from datahub.emitter.mcp import MetadataChangeProposalWrapper

from oncall.catalog.gms import GmsCatalog
from oncall.catalog.lite import LiteCatalog
from oncall.catalog.run_events import read_run_events
from oncall.config import load_config
from tests.catalog.gms_standin import GmsStandin, Store

DS = "urn:li:dataset:(urn:li:dataPlatform:sqlite,olist_dirty.main.olist_products,PROD)"
A = "urn:li:assertion:feed-test"


def _event(result: str, ts: int, run_id: str, assertion: str = A) -> MetadataChangeProposalWrapper:
    return MetadataChangeProposalWrapper(
        entityUrn=assertion,
        aspect=m.AssertionRunEventClass(
            timestampMillis=ts,
            runId=run_id,
            asserteeUrn=DS,
            assertionUrn=assertion,
            status=m.AssertionRunStatusClass.COMPLETE,
            result=m.AssertionResultClass(type=result, actualAggValue=3.0),
        ),
    )


def test_lite_feed_reads_each_event_once_in_write_order(seeded_copy: Path) -> None:
    path = load_config(seeded_copy, environ={}).lite_path
    with LiteCatalog(path) as catalog:
        everything, position = read_run_events(catalog, 0)
        assert everything and all(e.result in ("SUCCESS", "FAILURE", "ERROR") for e in everything)
        assert [e.position for e in everything] == sorted(e.position for e in everything)
        assert read_run_events(catalog, position) == ([], position)
        t = int(time.time() * 1000)
        catalog.emit([_event("FAILURE", t, "r1"), _event("SUCCESS", t - 5000, "r0")])  # out of order
        catalog.emit([_event("SUCCESS", t - 5000, "r0")])  # an identical rewrite adds no event
        new, position2 = read_run_events(catalog, position)
        assert [(e.run_id, e.result, e.timestamp_ms) for e in new] == [
            ("r1", "FAILURE", t),
            ("r0", "SUCCESS", t - 5000),
        ]
        assert new[0].dataset_urn == DS and new[0].actual_value == 3.0
        page, mid = read_run_events(catalog, position, limit=1)
        assert [e.run_id for e in page] == ["r1"] and read_run_events(catalog, mid)[0][0].run_id == "r0"
        assert read_run_events(catalog, position2 + 10**9)[0] == everything + new  # a rebuilt file: from 0


def test_gms_feed_reads_events_since_a_time(
    shared_dir: Path, seeded_copy: Path, datahub_schema: graphql.GraphQLSchema
) -> None:
    home = seeded_copy
    store = Store.from_lite(load_config(home, environ={}).lite_path)
    with GmsStandin(datahub_schema, store) as server:
        catalog = GmsCatalog(server.url)
        everything, position = read_run_events(catalog, 0)
        assert len(everything) == sum(len(e.get("assertionRunEvent", [])) for e in store.events.values())
        t = position + 60_000
        catalog.emit([_event("FAILURE", t, "late", everything[0].assertion_urn)])  # a known assertion
        new, after = read_run_events(catalog, position)
        assert after == t and [e.run_id for e in new if e.timestamp_ms > position] == ["late"]
        assert all(e.timestamp_ms >= position - 5 * 60 * 1000 for e in new)  # re-read: the index lags
        catalog.close()
        assert not server.rejected
