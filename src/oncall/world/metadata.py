"""The kit's catalog metadata (olist/FACTS.md "Kit metadata"): tags, glossary terms, owning groups.

Plain data; the catalog ingests it onto both platform instances.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["BUSINESS_TERMS", "GLOSSARY_TERMS", "OWNERS", "TAGS", "BusinessTerm"]

TAGS: dict[str, tuple[str, ...]] = {
    "pii": ("olist_customers", "olist_geolocation", "olist_order_reviews"),
    "identifier": ("olist_customers", "olist_orders", "olist_order_items", "olist_products", "olist_sellers"),
    "financial": ("olist_order_payments", "olist_order_items"),
}
"""tag name -> tables carrying it."""

GLOSSARY_TERMS: dict[str, tuple[str, tuple[str, ...]]] = {
    "order_status": ("Order Status", ("olist_orders",)),
    "customer_identity": ("Customer Identity", ("olist_customers",)),
}
"""term id -> (display name, tables carrying it): the kit's own terms."""


@dataclass(frozen=True)
class BusinessTerm:
    """A metric of the business glossary the analysts' BI layer is described with (not in the kit)."""

    id: str
    name: str
    definition: str
    datasets: tuple[str, ...] = ()
    charts: tuple[str, ...] = ()
    """Chart ids (`bi.CHARTS`)."""
    dashboards: tuple[str, ...] = ()
    """Dashboard ids (`bi.DASHBOARDS`)."""


BUSINESS_TERMS: tuple[BusinessTerm, ...] = (
    BusinessTerm(
        "gmv",
        "Gross Merchandise Value",
        "Gross Merchandise Value (GMV): the value of the goods sold on the marketplace, item price plus "
        "freight, before fees and cancellations.",
        datasets=("v_seller_performance", "v_product_sales"),
        charts=("revenue_by_seller", "revenue_by_category", "revenue_by_customer_state"),
        dashboards=("revenue",),
    ),
    BusinessTerm(
        "aov",
        "Average Order Value",
        "Average Order Value (AOV): revenue divided by the number of orders.",
        charts=("revenue_by_customer_state",),
        dashboards=("revenue",),
    ),
    BusinessTerm(
        "nps",
        "Net Promoter Score",
        "Net Promoter Score (NPS): customer loyalty read from the review scores, the share of 5-star "
        "reviews minus the share of 1 to 3-star reviews.",
        datasets=("v_order_reviews",),
        charts=("review_scores",),
        dashboards=("customer_experience",),
    ),
    BusinessTerm(
        "cx",
        "Customer Experience",
        "Customer Experience (CX): how customers experience their orders, from delivery times to review "
        "scores.",
        charts=("review_scores", "delivery_times"),
        dashboards=("customer_experience",),
    ),
)
"""The business glossary: metrics and their acronyms, on the BI layer and the views behind it."""

OWNERS: dict[str, tuple[str, ...]] = {
    "logistics_team": ("olist_sellers", "olist_geolocation", "olist_order_items"),
    "finance_team": ("olist_order_payments",),
    "customer_experience_team": ("olist_order_reviews", "olist_customers"),
    "product_team": ("olist_products", "product_category_name_translation"),
    "data_platform_team": ("olist_orders",),
}
"""owning group (DATAOWNER) -> tables it owns."""
