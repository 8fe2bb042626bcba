"""Publishing: the MCPs follow DataHub's assertion model, and a real Lite catalog reads them back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import datahub.metadata.schema_classes as m
import pytest
from datahub.emitter.mcp import MetadataChangeProposalWrapper

from oncall.catalog.lite import LiteCatalog
from oncall.config import Config, load_config
from oncall.quality.models import CheckResult, Suite, SuiteRun
from oncall.quality.publish import assertion_mcps, assertion_urn, publish_runs, run_event_mcp, run_naming
from oncall.quality.runner import run_suite, run_suites, warehouse_url
from oncall.quality.suites import parse_suite
from oncall.world.build import WorldSummary
from oncall.world.urns import dataset_urn
from tests.quality.conftest import touched


@pytest.fixture(scope="module")
def dirty_profile(small_suites: dict[str, Suite], small_config: Config) -> SuiteRun:
    return run_suite(
        small_suites["profile"], warehouse_url(small_config, "olist_dirty"), instance="olist_dirty"
    )


def _result(run: SuiteRun, table: str, name: str) -> CheckResult:
    return next(r for r in run.results if r.check.table == table and r.check.name == name)


def _roundtrip(mcp: MetadataChangeProposalWrapper) -> MetadataChangeProposalWrapper:
    assert mcp.validate()
    back = MetadataChangeProposalWrapper.from_obj(json.loads(json.dumps(mcp.to_obj())))
    assert isinstance(back, MetadataChangeProposalWrapper)  # not the plain MCP it falls back to
    return back


def test_fk_assertion_records_the_referenced_production_dataset(dirty_profile: SuiteRun) -> None:
    result = _result(dirty_profile, "olist_orders", "customer_id_references_olist_customers")
    info_mcp, platform_mcp = (
        _roundtrip(x) for x in assertion_mcps(result, "profile", run_naming(dirty_profile))
    )
    orders = dataset_urn("olist_dirty", "olist_orders")
    assert info_mcp.entityUrn == assertion_urn(orders, result.check.name)
    info = info_mcp.aspect
    assert isinstance(info, m.AssertionInfoClass) and info.type == m.AssertionTypeClass.DATASET
    ds = info.datasetAssertion
    assert ds is not None and ds.dataset == orders and ds.nativeType == result.check.name
    assert ds.scope == "DATASET_COLUMN" and ds.fields == [f"urn:li:schemaField:({orders},customer_id)"]
    assert ds.logic == result.sql and "olist_customers" in ds.logic
    assert ds.nativeParameters is not None
    assert ds.nativeParameters["referenced_dataset"] == dataset_urn("olist_dirty", "olist_customers")
    assert ds.nativeParameters["suite"] == "profile" and ds.nativeParameters["threshold"] == "0"
    platform = platform_mcp.aspect
    assert isinstance(platform, m.DataPlatformInstanceClass)
    assert platform.instance == "urn:li:dataPlatformInstance:(urn:li:dataPlatform:sqlite,olist_dirty)"


def test_run_event_carries_the_observed_values(dirty_profile: SuiteRun, world_summary: WorldSummary) -> None:
    result = _result(dirty_profile, "olist_order_items", "seller_id_is_32_hex")
    event = _roundtrip(run_event_mcp(result, dirty_profile)).aspect
    assert isinstance(event, m.AssertionRunEventClass) and event.result is not None
    assert event.asserteeUrn == dataset_urn("olist_dirty", "olist_order_items")
    assert event.assertionUrn == assertion_urn(event.asserteeUrn, "seller_id_is_32_hex")
    assert event.runId == dirty_profile.run_id and event.timestampMillis == dirty_profile.timestamp_ms
    assert event.result.type == "FAILURE"
    truncated = touched(world_summary, "olist_order_items", "truncate")
    assert event.result.actualAggValue == truncated and event.result.unexpectedCount == truncated
    assert event.result.rowCount == world_summary.rows["olist_dirty"]["olist_order_items"]
    assert event.result.nativeResults is not None and event.result.nativeResults["observed"] == str(truncated)


def test_composite_keys_name_every_key_field(dirty_profile: SuiteRun) -> None:
    result = _result(dirty_profile, "olist_order_items", "unique_key_order_id_order_item_id")
    info = assertion_mcps(result, "profile", run_naming(dirty_profile))[0].aspect
    assert isinstance(info, m.AssertionInfoClass)
    ds = info.datasetAssertion
    assert ds is not None and ds.fields is not None
    assert [f.rsplit(",", 1)[-1] for f in ds.fields] == ["order_id)", "order_item_id)"]
    assert ds.scope == "DATASET_ROWS"


def test_assertion_urns_are_stable_per_dataset_and_check() -> None:
    a = dataset_urn("olist_dirty", "olist_orders")
    assert assertion_urn(a, "x") == assertion_urn(a, "x")
    assert assertion_urn(a, "x") != assertion_urn(a, "y")
    assert assertion_urn(a, "x") != assertion_urn(dataset_urn("olist_source", "olist_orders"), "x")


@pytest.fixture
def lite(tmp_path: Path) -> Iterator[LiteCatalog]:
    catalog = LiteCatalog(tmp_path / "datahub.db", create=True)
    yield catalog
    catalog.close()


def test_published_runs_read_back_and_accumulate_history(
    lite: LiteCatalog, small_suites: dict[str, Suite], small_config: Config
) -> None:
    urls = {i: warehouse_url(small_config, i) for i in ("olist_source", "olist_dirty")}
    first = run_suites([small_suites["kit"]], urls)
    second = [
        r.model_copy(update={"timestamp_ms": r.timestamp_ms + 60_000, "run_id": "later"}) for r in first
    ]
    summary = publish_runs(lite, first)
    assert (summary.assertions, summary.run_events, summary.failed) == (22, 22, 3)
    assert summary.instances["olist_dirty"] == {"SUCCESS": 8, "FAILURE": 3, "ERROR": 0}
    assert publish_runs(lite, second).assertions == 22
    customers = lite.assertions(dataset_urn("olist_dirty", "olist_customers"))
    assert len(customers) == 4
    row_count = next(a for a in customers if a.native_type.startswith("row_count_eq_"))
    assert [r.run_id for r in row_count.runs] == ["later", first[0].run_id]
    assert row_count.latest is not None and row_count.latest.result == "FAILURE"
    assert row_count.parameters["suite"] == "kit" and row_count.logic and "COUNT(*)" in row_count.logic


def test_errors_are_published_with_their_reason(lite: LiteCatalog, small_config: Config) -> None:
    suite = parse_suite(
        "name: mine\nchecks:\n"
        " - {name: broken, table: olist_orders, sql: 'SELEC 1', description: d}\n"
        " - {name: missing, table: olist_orders, field: colour, sql: 'SELECT 0', description: d}\n"
    )
    run = run_suite(suite, warehouse_url(small_config, "olist_dirty"), instance="olist_dirty")
    publish_runs(lite, [run])
    got = {a.native_type: a for a in lite.assertions(dataset_urn("olist_dirty", "olist_orders"))}
    broken, missing = got["broken"].latest, got["missing"].latest
    assert broken is not None and broken.result == "ERROR" and "syntax error" in (broken.error or "")
    assert missing is not None and missing.result == "ERROR" and "colour" in (missing.error or "")


def test_setup_published_both_suites_on_both_instances(
    seeded_home: Path, small_suites: dict[str, Suite]
) -> None:
    catalog = LiteCatalog(load_config(seeded_home, environ={}).lite_path, read_only=True)
    try:
        for instance in ("olist_source", "olist_dirty"):
            for table in {c.table for s in small_suites.values() for c in s.checks}:
                names = {a.native_type for a in catalog.assertions(dataset_urn(instance, table))}
                expected = {c.name for s in small_suites.values() for c in s.checks if c.table == table}
                assert names == expected, (instance, table)
    finally:
        catalog.close()


def test_publish_urns_follow_the_warehouse_platform(dirty_profile: SuiteRun) -> None:
    # The same checks run on a PostgreSQL warehouse land on DataHub's postgres datasets
    # (<database>.<schema>.<table>), not on the demo's sqlite ones.
    pg = dirty_profile.model_copy(update={"warehouse": "postgresql://oncall:***@127.0.0.1:5432/shop"})
    result = _result(pg, "olist_orders", "customer_id_references_olist_customers")
    names = run_naming(pg)
    info_mcp, platform_mcp = assertion_mcps(result, "profile", names)
    orders = "urn:li:dataset:(urn:li:dataPlatform:postgres,olist_dirty.shop.public.olist_orders,PROD)"
    info = info_mcp.aspect
    assert isinstance(info, m.AssertionInfoClass)
    ds = info.datasetAssertion
    assert ds is not None and ds.dataset == orders
    assert ds.nativeParameters is not None
    assert ds.nativeParameters["referenced_dataset"] == orders.replace("olist_orders", "olist_customers")
    platform = platform_mcp.aspect
    assert isinstance(platform, m.DataPlatformInstanceClass)
    assert platform.instance == "urn:li:dataPlatformInstance:(urn:li:dataPlatform:postgres,olist_dirty)"
    event = run_event_mcp(result, pg).aspect
    assert isinstance(event, m.AssertionRunEventClass) and event.asserteeUrn == orders
    bare = pg.model_copy(update={"instance": "", "warehouse": "postgresql://u@db.internal/shop?schema=sales"})
    assert run_naming(bare).dataset_urn("orders") == (
        "urn:li:dataset:(urn:li:dataPlatform:postgres,shop.sales.orders,PROD)"
    )
