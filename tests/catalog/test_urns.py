"""URN helpers: the exact strings DataHub's own builders and the SQLAlchemy source produce."""

from __future__ import annotations

import pytest
from datahub.emitter.mce_builder import make_chart_urn as sdk_chart_urn
from datahub.emitter.mce_builder import make_dashboard_urn as sdk_dashboard_urn
from datahub.emitter.mce_builder import make_dataset_urn_with_platform_instance

import oncall.catalog
from oncall.catalog.urns import (
    InvalidUrnError,
    in_instance,
    make_chart_urn,
    make_dashboard_urn,
    make_dataset_urn,
    parse_urn,
    table_of,
)
from oncall.errors import UserError
from oncall.world.urns import chart_urn, dashboard_urn, dataset_urn


def test_dataset_urn_is_the_ingested_form() -> None:
    urn = dataset_urn("olist_dirty", "olist_orders")
    assert urn == "urn:li:dataset:(urn:li:dataPlatform:sqlite,olist_dirty.main.olist_orders,PROD)"
    assert urn == make_dataset_urn_with_platform_instance(
        "sqlite", "main.olist_orders", "olist_dirty", "PROD"
    )


def test_bi_urns_match_the_sdk_builders() -> None:
    assert chart_urn("olist_source", "payment_mix") == make_chart_urn(
        "superset", "payment_mix", instance="olist_source"
    )
    assert chart_urn("olist_source", "payment_mix") == sdk_chart_urn(
        "superset", "payment_mix", "olist_source"
    )
    assert dashboard_urn("olist_source", "revenue") == sdk_dashboard_urn(
        "superset", "revenue", "olist_source"
    )
    assert make_dashboard_urn("looker", "dashboards.12") == sdk_dashboard_urn("looker", "dashboards.12")


@pytest.mark.parametrize(
    ("name", "short"),
    [
        ("orders", "orders"),
        ("shop.orders", "orders"),
        ("analytics.public.orders", "orders"),
        ("prod.analytics.public.orders", "orders"),
    ],
)
def test_dataset_names_of_one_to_four_parts_name_no_instance(name: str, short: str) -> None:
    urn = make_dataset_urn("snowflake", name)
    assert urn == make_dataset_urn_with_platform_instance("snowflake", name, None, "PROD")
    parts = parse_urn(urn)
    assert (parts.entity_type, parts.platform, parts.name, parts.short_name) == (
        "dataset",
        "snowflake",
        name,
        short,
    )
    assert not hasattr(parts, "instance")  # a name never tells an instance from a database
    assert table_of(urn) == short


@pytest.mark.parametrize(
    ("urn", "kind", "short"),
    [
        (dataset_urn("olist_dirty", "v_order_details"), "dataset", "v_order_details"),
        (chart_urn("olist_source", "review_scores"), "chart", "review_scores"),
        (dashboard_urn("olist_dirty", "revenue"), "dashboard", "revenue"),
        ("urn:li:dataset:(urn:li:dataPlatform:sqlite,main.t,PROD)", "dataset", "t"),
        ("urn:li:chart:(tableau,4f1e-ab)", "chart", "4f1e-ab"),
    ],
)
def test_parse_round_trip(urn: str, kind: str, short: str) -> None:
    parts = parse_urn(urn)
    assert (parts.entity_type, parts.short_name) == (kind, short)
    assert table_of(urn) == short


def test_in_instance_swaps_only_the_known_instance_prefix() -> None:
    dirty = dataset_urn("olist_dirty", "olist_orders")
    assert in_instance(dirty, "olist_source", current="olist_dirty") == dataset_urn(
        "olist_source", "olist_orders"
    )
    # Without the instance, `olist_dirty` is just the first name part: it stays.
    bare = make_dataset_urn("postgres", "shop.public.orders")
    assert in_instance(bare, None) == bare
    assert in_instance(bare, "prod") == make_dataset_urn("postgres", "shop.public.orders", instance="prod")
    assert in_instance(dirty, None, current="olist_dirty") == make_dataset_urn("sqlite", "main.olist_orders")
    assert in_instance(dirty, "x", current="other") is None  # the name does not carry that instance
    chart = chart_urn("olist_dirty", "payment_mix")
    assert in_instance(chart, "olist_source", current="olist_dirty") == chart_urn(
        "olist_source", "payment_mix"
    )


@pytest.mark.parametrize("bad", ["", "olist_orders", "urn:li:tag:pii", "urn:li:dataset:(broken"])
def test_malformed_urns_are_rejected_with_an_example(bad: str) -> None:
    with pytest.raises(InvalidUrnError, match=r"expected e\.g\. urn:li:dataset:") as info:
        parse_urn(bad)
    assert isinstance(info.value, UserError) and isinstance(info.value, ValueError)


def test_package_exports_are_curated() -> None:
    names = oncall.catalog.__all__
    assert names == sorted(names)
    for name in names:
        assert getattr(oncall.catalog, name) is not None
    assert callable(oncall.catalog.open_catalog)
