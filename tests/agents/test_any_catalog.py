"""The loop on a catalog that is not the demo: Snowflake datasets named `db.schema.table`, no platform
instances, no clean twin, zero configuration. The baseline is each assertion's own history."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest
from datahub.emitter.mcp import MetadataChangeProposalWrapper as MCPW
from datahub.metadata import schema_classes as m

from oncall.catalog.lite import LiteCatalog
from oncall.catalog.urns import make_dataset_urn
from oncall.config import load_config
from oncall.errors import UserError
from oncall.gc_tuning import RUN_THRESHOLDS
from tests.plugins.agents import RunOffline

ORDERS = make_dataset_urn("snowflake", "shop.raw.orders")
CUSTOMERS = make_dataset_urn("snowflake", "shop.raw.customers")
REVENUE = make_dataset_urn("snowflake", "shop.marts.daily_revenue")
DAY = 86_400_000
NOW = 1_780_000_000_000


def _dataset(urn: str, name: str, description: str, upstreams: list[str]) -> list[MCPW]:
    out = [
        MCPW(entityUrn=urn, aspect=m.DatasetPropertiesClass(name=name, description=description)),
        MCPW(entityUrn=urn, aspect=m.SubTypesClass(typeNames=["Table"])),
        MCPW(entityUrn=urn, aspect=m.StatusClass(removed=False)),
    ]
    if upstreams:
        lineage = m.UpstreamLineageClass(
            upstreams=[
                m.UpstreamClass(dataset=u, type=m.DatasetLineageTypeClass.TRANSFORMED) for u in upstreams
            ]
        )
        out.append(MCPW(entityUrn=urn, aspect=lineage))
    return out


def _assertion(dataset: str, native_type: str, results: list[tuple[int, str, float]]) -> list[MCPW]:
    urn = f"urn:li:assertion:{native_type}-{abs(hash(dataset)) % 10_000}"
    info = m.AssertionInfoClass(
        type=m.AssertionTypeClass.DATASET,
        datasetAssertion=m.DatasetAssertionInfoClass(
            dataset=dataset,
            scope=m.DatasetAssertionScopeClass.DATASET_ROWS,
            operator=m.AssertionStdOperatorClass.EQUAL_TO,
            nativeType=native_type,
        ),
    )
    out = [MCPW(entityUrn=urn, aspect=info)]
    for ts, result, value in results:
        event = m.AssertionRunEventClass(
            timestampMillis=ts,
            runId=f"run-{ts}",
            asserteeUrn=dataset,
            assertionUrn=urn,
            status=m.AssertionRunStatusClass.COMPLETE,
            result=m.AssertionResultClass(type=result, actualAggValue=value),
        )
        out.append(MCPW(entityUrn=urn, aspect=event))
    return out


@pytest.fixture
def snowflake_home(home: Path) -> Path:
    """A Lite file as a dbt/Snowflake ingestion leaves it: no instances, runs from two days."""
    with LiteCatalog(home / "datahub.db", create=True) as catalog:
        catalog.emit(
            [
                *_dataset(ORDERS, "orders", "Raw orders loaded nightly", []),
                *_dataset(CUSTOMERS, "customers", "Raw customers", []),
                *_dataset(REVENUE, "daily_revenue", "Revenue per day for finance", [ORDERS, CUSTOMERS]),
                # orders: passed yesterday, fails today -> a regression against its own history
                *_assertion(ORDERS, "order_id_not_null", [(NOW - DAY, "SUCCESS", 0), (NOW, "FAILURE", 42)]),
                # customers: has never passed -> pre-existing, not a cause
                *_assertion(CUSTOMERS, "email_unique", [(NOW - DAY, "FAILURE", 3), (NOW, "FAILURE", 3)]),
                # the symptom's own check: fine
                *_assertion(REVENUE, "revenue_positive", [(NOW - DAY, "SUCCESS", 0), (NOW, "SUCCESS", 0)]),
            ]
        )
    return home


def test_history_finds_the_origin_with_history_confidence(
    run_offline: RunOffline, snowflake_home: Path
) -> None:
    config = load_config(snowflake_home, environ={})
    assert config.production_instance is None and config.baseline_instance is None
    result, _ = run_offline(config, "daily revenue wrong", dry_run=True)
    assert result.symptom is not None and result.symptom.urn == REVENUE
    assert result.verdict == "root_cause_found"
    (origin,) = result.origins
    assert origin.dataset_urn == ORDERS and origin.lineage_path == [REVENUE, ORDERS]
    assert origin.baseline_kind == "history" and origin.confidence == 0.75  # not a clean twin's 0.9
    assert result.history and result.baseline_mode == "auto"
    assert {e.baseline_kind for e in result.diff} == {"history"}
    statuses = {(e.dataset_urn, e.status) for e in result.diff}
    assert statuses == {(ORDERS, "regression"), (CUSTOMERS, "pre-existing"), (REVENUE, "unchanged")}
    json_entry = next(e for e in result.model_dump(mode="json")["diff"] if e["dataset_urn"] == ORDERS)
    assert json_entry["baseline_kind"] == "history" and json_entry["baseline"]["result"] == "SUCCESS"
    assert "(baseline: history, SUCCESS)" in result.postmortem_markdown


def test_the_symptoms_own_assertions_are_in_the_diff(run_offline: RunOffline, snowflake_home: Path) -> None:
    # A production instance that holds none of these datasets: the Reality-Checker covers nothing, yet
    # the symptom and its upstream are diffed and the whole diff is in the result.
    config = load_config(snowflake_home, environ={}, production_instance="somewhere_else")
    result, _ = run_offline(config, "", symptom_urn=ORDERS, dry_run=True)
    assert result.symptom is not None and result.symptom.urn == ORDERS
    assert result.symptom.reasons == ["given as the symptom URN"]
    assert [e.dataset_urn for e in result.diff] == [ORDERS]
    assert [rc.dataset_urn for rc in result.origins] == [ORDERS]


def test_twin_mode_without_a_baseline_instance_is_refused(
    run_offline: RunOffline, snowflake_home: Path
) -> None:
    config = load_config(snowflake_home, environ={})
    with pytest.raises(UserError, match="baseline instance"):
        run_offline(config, "daily revenue wrong", baseline="twin", dry_run=True)


def test_an_unknown_symptom_urn_is_bad_input(run_offline: RunOffline, snowflake_home: Path) -> None:
    config = load_config(snowflake_home, environ={})
    missing = make_dataset_urn("snowflake", "shop.raw.nope")
    with pytest.raises(UserError, match="not in the catalog"):
        run_offline(config, None, symptom_urn=missing, dry_run=True)
    with pytest.raises(UserError, match="not a dataset, chart or dashboard URN"):
        run_offline(config, None, symptom_urn="urn:li:corpuser:bob", dry_run=True)


def test_the_collector_waits_during_a_run_and_not_after(
    run_offline: RunOffline, snowflake_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[int, int, int]] = []
    walk = LiteCatalog.lineage_graph

    def watched(self: LiteCatalog, *args: Any, **kwargs: Any) -> Any:
        seen.append(gc.get_threshold())  # in a worker thread, mid-run
        return walk(self, *args, **kwargs)

    monkeypatch.setattr(LiteCatalog, "lineage_graph", watched)
    before = gc.get_threshold()
    if before[0] == 0:
        pytest.skip("collection is off in this process: nothing to raise")
    result, _ = run_offline(load_config(snowflake_home, environ={}), "daily revenue wrong", dry_run=True)
    assert result.verdict == "root_cause_found"
    raised = tuple(max(a, b) for a, b in zip(RUN_THRESHOLDS, before, strict=True))
    assert seen and all(t == raised for t in seen)
    assert gc.get_threshold() == before
