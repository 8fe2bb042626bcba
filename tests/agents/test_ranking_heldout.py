"""Held-out phrasings for the Detective's symptom pick, on the seeded small world (real DataHub Lite).

None of these texts is a scenario of the bench or a phrasing of test_ranking.py: they were written
before the ranking was tuned on the bench's misses, to check that a fix generalises instead of fitting
three sentences. Each runs the Detective's offline procedure: catalog searches for candidates, then the
deterministic ranking, top candidate wins (as `detective.investigate` does when no model is set).
The paraphrase sets of test_paraphrases.py extend these with synonyms, jargon and typos.
"""

from __future__ import annotations

import pytest

from oncall.world.urns import chart_urn, dashboard_urn, dataset_urn
from tests.plugins.agents import PROD, DetectivePick

HELD_OUT = [
    # dashboards
    (
        "the customer experience dashboard hasn't refreshed since monday",
        dashboard_urn(PROD, "customer_experience"),
    ),
    ("finance folks say the revenue dashboard totals dropped overnight", dashboard_urn(PROD, "revenue")),
    # charts, named by title, by description phrase or by a BI word
    ("delivery times graph shows negative days for a few states", chart_urn(PROD, "delivery_times")),
    ("top sellers leaderboard looks off after yesterday's deploy", chart_urn(PROD, "revenue_by_seller")),
    ("the sales by category report has a bunch of null categories", chart_urn(PROD, "revenue_by_category")),
    ("revenue by customer state chart: SP is way too low", chart_urn(PROD, "revenue_by_customer_state")),
    ("review score distribution graph is suddenly all 5 stars", chart_urn(PROD, "review_scores")),
    ("payment mix panel shows only credit cards today", chart_urn(PROD, "payment_mix")),
    # views
    ("v_product_sales view returns fewer rows than usual", dataset_urn(PROD, "v_product_sales")),
    (
        "the seller performance view has revenue doubled for some sellers",
        dataset_urn(PROD, "v_seller_performance"),
    ),
    ("order details view is missing the customer city", dataset_urn(PROD, "v_order_details")),
    # tables, where other entities share most of the words
    ("products table has rows with no category", dataset_urn(PROD, "olist_products")),
    ("sellers table: a few sellers have an empty city", dataset_urn(PROD, "olist_sellers")),
    ("order reviews table has duplicate review ids", dataset_urn(PROD, "olist_order_reviews")),
    ("payments table has negative payment values", dataset_urn(PROD, "olist_order_payments")),
    ("the order items table has prices of zero for some sellers", dataset_urn(PROD, "olist_order_items")),
    (
        "category translation table lacks english names for new categories",
        dataset_urn(PROD, "product_category_name_translation"),
    ),
    ("geolocation table has duplicate zip prefixes", dataset_urn(PROD, "olist_geolocation")),
    # harder: the type word and the thing it names compete with other nouns of the text
    ("english names are missing from the revenue by category chart", chart_urn(PROD, "revenue_by_category")),
    ("the category sales report lists portuguese names only", chart_urn(PROD, "revenue_by_category")),
    ("sellers in the seller leaderboard have no city", chart_urn(PROD, "revenue_by_seller")),
    ("seller revenue report doubled since tuesday", chart_urn(PROD, "revenue_by_seller")),
    ("the revenue graph per seller is flat", chart_urn(PROD, "revenue_by_seller")),
    ("payment type breakdown chart is missing boleto", chart_urn(PROD, "payment_mix")),
    (
        "customer experience dashboard: review scores look inflated",
        dashboard_urn(PROD, "customer_experience"),
    ),
    ("reviews table has reviews for orders that don't exist", dataset_urn(PROD, "olist_order_reviews")),
    ("order items table references sellers that were deleted", dataset_urn(PROD, "olist_order_items")),
    ("payments view shows payments for cancelled orders", dataset_urn(PROD, "v_order_payments")),
    (
        "the sellers table has sellers whose zip prefix matches no geolocation",
        dataset_urn(PROD, "olist_sellers"),
    ),
    ("products in the product sales view have no english category", dataset_urn(PROD, "v_product_sales")),
    (
        "customers vanished? the customers table shrank after the orders load",
        dataset_urn(PROD, "olist_customers"),
    ),
]


@pytest.mark.parametrize(("text", "expected"), HELD_OUT)
def test_held_out_phrasing_picks_the_entity_people_mean(
    detective_pick: DetectivePick, text: str, expected: str
) -> None:
    pick, top = detective_pick(text)
    assert pick == expected, top
