"""The BI layer of the demo world (DESIGN.md section 6b) as plain data.

Dashboards and charts that read the views, so people can name what they look at ("revenue dashboard").
The catalog issue ingests one set per platform instance on platform `superset`. Nothing here touches
DataHub: URNs are built by the catalog from these names.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["BI_PLATFORM", "CHARTS", "DASHBOARDS", "Chart", "Dashboard", "chart"]

BI_PLATFORM = "superset"


@dataclass(frozen=True)
class Chart:
    """A chart reading one or more Olist views or tables."""

    id: str
    """Stable id; the chart URN is urn:li:chart:(superset,<instance>.<id>)."""
    title: str
    description: str
    inputs: tuple[str, ...]
    """Names of the views/tables it reads."""
    owners: tuple[str, ...]
    """Owning groups (corpGroup ids)."""


@dataclass(frozen=True)
class Dashboard:
    """A dashboard made of charts."""

    id: str
    title: str
    description: str
    charts: tuple[str, ...]
    owners: tuple[str, ...]


CHARTS: tuple[Chart, ...] = (
    Chart(
        "revenue_by_seller",
        "Revenue by seller",
        "Seller leaderboard: revenue (price + freight) and review score per seller.",
        ("v_seller_performance",),
        ("finance_team",),
    ),
    Chart(
        "revenue_by_category",
        "Revenue by category",
        "Category sales report: revenue per product category, in Portuguese and English.",
        ("v_product_sales",),
        ("finance_team", "product_team"),
    ),
    Chart(
        "revenue_by_customer_state",
        "Revenue by customer state",
        "Orders and revenue by the customer's state.",
        ("v_order_details",),
        ("finance_team",),
    ),
    Chart(
        "payment_mix",
        "Payment mix",
        "Payment totals by payment type and installments.",
        ("v_order_payments",),
        ("finance_team",),
    ),
    Chart(
        "review_scores",
        "Review scores",
        "Distribution of review scores (1-5) over time.",
        ("v_order_reviews",),
        ("customer_experience_team",),
    ),
    Chart(
        "delivery_times",
        "Delivery times",
        "Days from purchase to delivery against the estimate, by state.",
        ("v_order_details",),
        ("customer_experience_team", "logistics_team"),
    ),
)

DASHBOARDS: tuple[Dashboard, ...] = (
    Dashboard(
        "revenue",
        "Revenue",
        "Revenue dashboard: sales by seller, category, customer state and payment mix.",
        ("revenue_by_seller", "revenue_by_category", "revenue_by_customer_state", "payment_mix"),
        ("finance_team",),
    ),
    Dashboard(
        "customer_experience",
        "Customer Experience",
        "Customer experience dashboard: review scores and delivery times.",
        ("review_scores", "delivery_times"),
        ("customer_experience_team",),
    ),
)

_CHARTS = {c.id: c for c in CHARTS}


def chart(chart_id: str) -> Chart:
    """The chart with this id (KeyError if unknown)."""
    return _CHARTS[chart_id]
