"""URN helpers: the exact strings DataHub's own builders and the SQLAlchemy source produce."""

from __future__ import annotations

import pytest
from datahub.emitter.mce_builder import (
    make_chart_urn,
    make_dashboard_urn,
    make_dataset_urn_with_platform_instance,
)

import oncall.catalog
from oncall.catalog.urns import (
    InvalidUrnError,
    chart_urn,
    dashboard_urn,
    dataset_urn,
    instance_of,
    parse_urn,
    table_of,
)
from oncall.errors import NotFoundError


def test_dataset_urn_is_the_ingested_form() -> None:
    urn = dataset_urn("olist_dirty", "olist_orders")
    assert urn == "urn:li:dataset:(urn:li:dataPlatform:sqlite,olist_dirty.main.olist_orders,PROD)"
    assert urn == make_dataset_urn_with_platform_instance(
        "sqlite", "main.olist_orders", "olist_dirty", "PROD"
    )


def test_bi_urns_match_the_sdk_builders() -> None:
    assert chart_urn("olist_source", "payment_mix") == make_chart_urn(
        "superset", "payment_mix", "olist_source"
    )
    assert dashboard_urn("olist_source", "revenue") == make_dashboard_urn(
        "superset", "revenue", "olist_source"
    )


@pytest.mark.parametrize(
    ("urn", "kind", "instance", "short"),
    [
        (dataset_urn("olist_dirty", "v_order_details"), "dataset", "olist_dirty", "v_order_details"),
        (chart_urn("olist_source", "review_scores"), "chart", "olist_source", "review_scores"),
        (dashboard_urn("olist_dirty", "revenue"), "dashboard", "olist_dirty", "revenue"),
        ("urn:li:dataset:(urn:li:dataPlatform:sqlite,main.t,PROD)", "dataset", None, "t"),
    ],
)
def test_parse_round_trip(urn: str, kind: str, instance: str | None, short: str) -> None:
    parts = parse_urn(urn)
    assert (parts.entity_type, parts.instance, parts.short_name) == (kind, instance, short)
    assert instance_of(urn) == instance
    assert table_of(urn) == short


@pytest.mark.parametrize("bad", ["", "olist_orders", "urn:li:tag:pii", "urn:li:dataset:(broken"])
def test_malformed_urns_are_rejected_with_an_example(bad: str) -> None:
    with pytest.raises(InvalidUrnError, match=r"expected e\.g\. urn:li:dataset:") as info:
        parse_urn(bad)
    assert isinstance(info.value, NotFoundError) and isinstance(info.value, ValueError)


def test_package_exports_are_curated() -> None:
    names = oncall.catalog.__all__
    assert names == sorted(names)
    for name in names:
        assert getattr(oncall.catalog, name) is not None
    assert callable(oncall.catalog.open_catalog)
