"""The Detective's ranking on the demo world's real metadata (names, descriptions, columns, tags)."""

from __future__ import annotations

import pytest

from oncall.agents._text import content_tokens, stem, tokens, type_phrases
from oncall.agents.ranking import MIN_CONTENT_SCORE, rank_entities
from tests.agents._world_entities import chart_urn, dashboard_urn, dataset_urn, world_entities

PROD = "olist_dirty"

PHRASES = [
    ("revenue dashboard wrong", dashboard_urn(PROD, "revenue")),
    ("seller leaderboard revenue dropped", chart_urn(PROD, "revenue_by_seller")),
    ("category sales report shows blank categories", chart_urn(PROD, "revenue_by_category")),
    ("orders by state chart is missing orders", chart_urn(PROD, "revenue_by_customer_state")),
    ("payment totals look off", chart_urn(PROD, "payment_mix")),
    ("review scores dashboard looks weird", chart_urn(PROD, "review_scores")),
    ("customers table lost rows", dataset_urn(PROD, "olist_customers")),
]


@pytest.mark.parametrize(("text", "expected"), PHRASES)
def test_each_phrasing_picks_the_entity_people_mean(text: str, expected: str) -> None:
    ranked = rank_entities(text, world_entities(), production_instance=PROD)
    assert ranked[0].ref.urn == expected, [(r.ref.urn, r.score) for r in ranked[:3]]
    assert ranked[0].content_score >= MIN_CONTENT_SCORE
    assert ranked[0].reasons


def test_production_instance_beats_its_baseline_twin() -> None:
    ranked = rank_entities("revenue dashboard wrong", world_entities(), production_instance=PROD)
    assert ranked[0].ref.instance == PROD
    assert ranked[1].ref.urn == dashboard_urn("olist_source", "revenue")
    assert ranked[0].score > ranked[1].score
    # without a production preference the twins tie, broken deterministically
    tied = rank_entities("revenue dashboard wrong", world_entities())
    assert tied[0].score == tied[1].score


def test_type_word_decides_between_a_table_and_a_chart() -> None:
    as_table = rank_entities("orders table", world_entities(), production_instance=PROD)[0]
    assert as_table.ref.urn == dataset_urn(PROD, "olist_orders")
    as_chart = rank_entities("orders by state chart", world_entities(), production_instance=PROD)[0]
    assert as_chart.ref.type == "chart"


@pytest.mark.parametrize("text", ["the coffee machine is broken", "dashboard broken", "it is all wrong"])
def test_nothing_matches_when_only_trouble_or_type_words_are_given(text: str) -> None:
    ranked = rank_entities(text, world_entities(), production_instance=PROD)
    assert all(r.content_score < MIN_CONTENT_SCORE for r in ranked)


def test_reasons_name_the_evidence() -> None:
    top = rank_entities("seller leaderboard revenue dropped", world_entities(), production_instance=PROD)[0]
    text = " ".join(top.reasons)
    assert "leaderboard" in text  # from the description, not the name
    assert "production instance" in text


def test_words_are_stemmed_and_trouble_words_dropped() -> None:
    assert stem("categories") == "category"
    assert stem("orders") == "order"
    assert stem("status") == "status"
    assert content_tokens("Customers table LOST rows!") == ["customer", "row"]


@pytest.mark.parametrize(
    ("text", "bound"),
    [
        ("the revenue by customer state chart", [("chart", ("revenue", "customer", "state"))]),
        ("leaderboard of sellers is empty", [("leaderboard", ("seller",))]),
        (
            "v_order_details view and the payments table",
            [("view", ("order", "detail")), ("table", ("payment",))],
        ),
        ("the dashboard", [("dashboard", ())]),
    ],
)
def test_a_type_word_binds_to_the_phrase_next_to_it(
    text: str, bound: list[tuple[str, tuple[str, ...]]]
) -> None:
    assert [(p.type_word, p.words) for p in type_phrases(tokens(text))] == bound


def test_the_phrase_before_a_type_word_outweighs_words_elsewhere() -> None:
    # 'sellers' names the table; the other nouns belong to other tables
    text = "sellers table rows point at products and customers and geolocation"
    top = rank_entities(text, world_entities(), production_instance=PROD)[0]
    assert top.ref.urn == dataset_urn(PROD, "olist_sellers"), top.reasons
    assert any("'seller table'" in r for r in top.reasons)


def test_a_description_naming_its_chart_binds_like_a_name() -> None:
    # "Seller leaderboard: ..." is how the chart describes itself; the table only shares the word 'seller'
    ranked = rank_entities("sellers leaderboard", world_entities(), production_instance=PROD)
    assert ranked[0].ref.urn == chart_urn(PROD, "revenue_by_seller")
    assert any("description's 'seller leaderboard'" in r for r in ranked[0].reasons)


def test_a_word_counts_once_across_name_description_and_columns() -> None:
    sellers = next(e for e in world_entities(("olist_dirty",)) if e.name == "olist_sellers")
    top = rank_entities("seller", [sellers])[0]
    # name word (2) + whole name covered (2): 'seller' in the description and columns adds nothing
    assert top.content_score == 4.0, top.reasons
