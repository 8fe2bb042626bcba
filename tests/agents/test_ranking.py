"""The Detective's ranking on the demo world's real metadata (names, descriptions, columns, tags)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from oncall.agents._text import container_of, content_tokens, name_tokens, stem, tokens, type_phrases
from oncall.agents.ranking import MIN_CONTENT_SCORE, Ranked, rank_entities
from oncall.catalog.urns import make_dataset_urn
from tests.agents._world_entities import chart_urn, dashboard_urn, dataset_urn, world_entities

if TYPE_CHECKING:
    from oncall.catalog.vectors import SemanticIndex

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
    # name word (2) + whole one-word name covered (half of 2): 'seller' in the description and columns
    # adds nothing
    assert top.content_score == 3.0, top.reasons


# ----------------------------------------------------------------------------- meaning (semantic index)


@pytest.fixture(scope="module")
def index() -> SemanticIndex:
    from oncall.catalog.vectors import SemanticIndex

    return SemanticIndex.from_entities(world_entities())


def _meant(text: str, index: SemanticIndex) -> list[Ranked]:
    from oncall.agents.ranking import understand

    return rank_entities(text, world_entities(), production_instance=PROD, meaning=understand(text, index))


def test_typos_are_read_as_the_catalog_words_they_are_an_edit_away_from(index: SemanticIndex) -> None:
    top = _meant("the revnue dashbord is broken", index)[0]
    assert top.ref.urn == dashboard_urn(PROD, "revenue")
    assert top.reasons[0] == "read 'revnue' as 'revenue', 'dashbord' as 'dashboard'"
    # letters alone find nothing
    assert rank_entities("the revnue dashbord is broken", world_entities())[0].content_score == 0


def test_a_word_the_catalog_never_uses_meets_its_closest_catalog_word(index: SemanticIndex) -> None:
    from oncall.agents.ranking import understand

    meaning = understand("clients table lost rows", index)
    assert meaning.aliases["client"][0][0] == "customer"
    top = _meant("clients table lost rows", index)[0]
    assert top.ref.urn == dataset_urn(PROD, "olist_customers")
    assert any("for 'client'" in r for r in top.reasons)


def test_a_chart_named_with_its_dashboard_is_the_part_meant(index: SemanticIndex) -> None:
    # the dashboard shares more of the words (its description lists its charts): the rule decides
    text = "the delivery times chart in the customer experience dashboard is empty"
    top = _meant(text, index)[0]
    assert top.ref.urn == chart_urn(PROD, "delivery_times")
    assert any("named with 'Customer Experience', which holds it" in r for r in top.reasons)
    # the dashboard alone stays the dashboard, even though its charts share its words
    assert _meant("revenue dashboard wrong", index)[0].ref.urn == dashboard_urn(PROD, "revenue")


@pytest.mark.parametrize("text", ["the coffee machine is broken", "dashboard broken", "it is all wrong"])
def test_meaning_does_not_invent_a_match(index: SemanticIndex, text: str) -> None:
    assert all(r.content_score < MIN_CONTENT_SCORE for r in _meant(text, index))


def test_an_acronym_the_catalog_does_not_use_is_spelt_out(index: SemanticIndex) -> None:
    from oncall.agents.ranking import understand

    meaning = understand("CX dashboard is empty", index)
    assert meaning.expanded == {"cx": "customer experience"}  # agents/vocabulary.yaml
    top = _meant("CX dashboard is empty", index)[0]
    assert top.ref.urn == dashboard_urn(PROD, "customer_experience")
    assert top.reasons[0] == "read 'cx' as 'customer experience'"


def test_a_glossary_term_answers_to_its_acronym_before_the_vocabulary() -> None:
    from oncall.agents.ranking import understand
    from oncall.catalog.vectors import SemanticIndex, Term

    entities = [
        e.model_copy(update={"terms": ["urn:li:glossaryTerm:gmv"]})
        if e.urn == dashboard_urn(PROD, "revenue")
        else e
        for e in world_entities(("olist_dirty",))
    ]
    revenue = next(e for e in entities if e.terms)
    gmv = Term("Gross Merchandise Value", "Gross Merchandise Value (GMV): goods sold, price plus freight.")
    index = SemanticIndex.from_entities(entities, define={"urn:li:glossaryTerm:gmv": gmv}.get)
    meaning = understand("GMV dashboard is way down", index)
    assert meaning.expanded == {}  # the catalog uses the word: its own meaning wins
    top = rank_entities("GMV dashboard is way down", entities, production_instance=PROD, meaning=meaning)[0]
    assert top.ref.urn == revenue.urn and "glossary term 'gmv'" in top.reasons
    # without the index the term is known by its URN's id only
    assert "glossary term 'gmv'" in rank_entities("gmv dashboard", entities)[0].reasons


def test_synonyms_of_the_vocabulary_stand_in_at_its_strength(index: SemanticIndex) -> None:
    top = _meant("transactions table has negative amounts", index)[0]
    assert top.ref.urn == dataset_urn(PROD, "olist_order_payments")
    assert any("'payment' (for 'transaction', 0.80)" in r for r in top.reasons), top.reasons


def test_an_acronym_in_a_name_is_named_by_the_words_it_stands_for() -> None:
    from oncall.catalog.types import Entity

    def model(name: str, description: str) -> Entity:
        urn = f"urn:li:dataset:(urn:li:dataPlatform:dbt,w.main.{name},PROD)"
        return Entity(urn=urn, type="dataset", name=name, platform="dbt", description=description)

    mrr = model("fct_mrr", "MRR report per plan tier.")
    revenue = model("fct_revenue", "Revenue report per month and plan tier.")
    ranked = rank_entities("recurring revenue per plan tier is low", [revenue, mrr])
    assert ranked[0].ref.urn == mrr.urn  # 'fct_mrr' says monthly recurring revenue
    assert rank_entities("MRR report is wrong", [revenue, mrr])[0].reasons[-1].startswith("every word")


def test_the_vocabulary_is_generic_and_well_formed() -> None:
    from oncall.agents.vocabulary import vocabulary

    words = vocabulary()
    assert all(k.isalpha() and k == k.lower() and len(v.split()) >= 2 for k, v in words.acronyms.items())
    assert words.others("merchants") == ("seller", "vendor", "supplier")  # stemmed, the file's order
    assert all(w in words.others(o) for w, others in words.synonyms.items() for o in others)  # symmetric
    assert 0 < words.strength < 1


def test_a_name_word_that_only_repeats_its_container_names_nothing() -> None:
    # A company prefix in table names says where a table lives (its database), not what it is.
    acme = make_dataset_urn("snowflake", "acme_prod.sales.acme_orders")
    assert container_of(acme) == "acme_prod.sales" and name_tokens("acme_orders", container_of(acme)) == {
        "order"
    }
    assert name_tokens("v_order_details", container_of(acme)) == {"order", "detail"}
    sales = make_dataset_urn("postgres", "sales.public.sales")
    assert name_tokens("sales", container_of(sales)) == {"sale"}  # never every word: the name still names it
    assert container_of("urn:li:chart:(looker,revenue)", "eu") == "eu" and container_of("nonsense") == ""


def test_a_container_word_still_tells_a_table_from_its_neighbour() -> None:
    """`sales.public.sales_orders` and `sales.public.orders`: the container word is the only word that
    tells them apart, so it counts (at half a name word) instead of being dropped."""
    from oncall.catalog.types import Entity

    def table(name: str) -> Entity:
        urn = make_dataset_urn("postgres", f"sales.public.{name}")
        return Entity(urn=urn, type="dataset", name=name, platform="postgres", subtype="Table")

    both = [table("orders"), table("sales_orders")]
    top = rank_entities("sales orders table is wrong", both)
    assert top[0].ref.name == "sales_orders" and top[0].score > top[1].score
    assert any("container" in r for r in top[0].reasons)
    assert rank_entities("orders table is wrong", both)[0].ref.name == "orders"
