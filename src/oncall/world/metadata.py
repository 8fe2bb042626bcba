"""The kit's catalog metadata (olist/FACTS.md "Kit metadata"): tags, glossary terms, owning groups.

Plain data; the catalog ingests it onto both platform instances.
"""

from __future__ import annotations

__all__ = ["GLOSSARY_TERMS", "OWNERS", "TAGS"]

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
"""term id -> (display name, tables carrying it)."""

OWNERS: dict[str, tuple[str, ...]] = {
    "logistics_team": ("olist_sellers", "olist_geolocation", "olist_order_items"),
    "finance_team": ("olist_order_payments",),
    "customer_experience_team": ("olist_order_reviews", "olist_customers"),
    "product_team": ("olist_products", "product_category_name_translation"),
    "data_platform_team": ("olist_orders",),
}
"""owning group (DATAOWNER) -> tables it owns."""
