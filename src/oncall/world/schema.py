"""The Olist world's schema: 9 tables and 5 views exactly as the kit defines them (olist/FACTS.md).

Every column is TEXT, as in the kit, and a blank CSV cell is stored as '' (not NULL). Keys and foreign
keys are metadata here (SQLite does not enforce them in the kit, and the faults must be able to break
them); the DDL names its FOREIGN KEY constraints so DataHub's SQLAlchemy source can ingest them.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from oncall.quality.schema import WarehouseSchema

__all__ = [
    "FOREIGN_KEYS",
    "TABLES",
    "VIEWS",
    "ForeignKey",
    "Table",
    "View",
    "create_schema",
    "table",
    "table_ddl",
    "warehouse_schema",
]


@dataclass(frozen=True)
class ForeignKey:
    """`table.column` references `ref_table.ref_column` (complete coverage in the clean world)."""

    table: str
    column: str
    ref_table: str
    ref_column: str

    @property
    def name(self) -> str:
        """Constraint name used in the DDL."""
        return f"fk_{self.table}_{self.column}"


@dataclass(frozen=True)
class Table:
    """A base table: columns in CSV order, its key columns, and what it is."""

    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]
    description: str


@dataclass(frozen=True)
class View:
    """A view: its SQL and the tables it reads (the kit's VIEW_LINEAGE)."""

    name: str
    sql: str
    upstream: tuple[str, ...]
    description: str


TABLES: tuple[Table, ...] = (
    Table(
        "olist_customers",
        ("customer_id", "customer_unique_id", "customer_zip_code_prefix", "customer_city", "customer_state"),
        ("customer_id",),
        "Customers: one row per order's customer id (1:1 with orders); customer_unique_id is the person.",
    ),
    Table(
        "olist_geolocation",
        (
            "geolocation_zip_code_prefix",
            "geolocation_lat",
            "geolocation_lng",
            "geolocation_city",
            "geolocation_state",
        ),
        (),
        "Brazilian zip-code prefixes with latitude/longitude, city and state. No key.",
    ),
    Table(
        "olist_order_items",
        (
            "order_id",
            "order_item_id",
            "product_id",
            "seller_id",
            "shipping_limit_date",
            "price",
            "freight_value",
        ),
        ("order_id", "order_item_id"),
        "Order lines: the product, the seller, price and freight of each item of an order.",
    ),
    Table(
        "olist_order_payments",
        ("order_id", "payment_sequential", "payment_type", "payment_installments", "payment_value"),
        ("order_id", "payment_sequential"),
        "Payments of each order: method, installments and value.",
    ),
    Table(
        "olist_order_reviews",
        (
            "review_id",
            "order_id",
            "review_score",
            "review_comment_title",
            "review_comment_message",
            "review_creation_date",
            "review_answer_timestamp",
        ),
        ("review_id", "order_id"),
        "Customer reviews of orders: score 1-5, optional title and message.",
    ),
    Table(
        "olist_orders",
        (
            "order_id",
            "customer_id",
            "order_status",
            "order_purchase_timestamp",
            "order_approved_at",
            "order_delivered_carrier_date",
            "order_delivered_customer_date",
            "order_estimated_delivery_date",
        ),
        ("order_id",),
        "Orders: status and the purchase, approval, carrier, delivery and estimated delivery timestamps.",
    ),
    Table(
        "olist_products",
        (
            "product_id",
            "product_category_name",
            "product_name_lenght",
            "product_description_lenght",
            "product_photos_qty",
            "product_weight_g",
            "product_length_cm",
            "product_height_cm",
            "product_width_cm",
        ),
        ("product_id",),
        "Product catalogue: category (Portuguese), name/description lengths, photos, weight and size.",
    ),
    Table(
        "olist_sellers",
        ("seller_id", "seller_zip_code_prefix", "seller_city", "seller_state"),
        ("seller_id",),
        "Sellers on the marketplace with their zip prefix, city and state.",
    ),
    Table(
        "product_category_name_translation",
        ("product_category_name", "product_category_name_english"),
        ("product_category_name",),
        "Portuguese to English names of product categories.",
    ),
)

FOREIGN_KEYS: tuple[ForeignKey, ...] = (
    ForeignKey("olist_orders", "customer_id", "olist_customers", "customer_id"),
    ForeignKey("olist_order_items", "order_id", "olist_orders", "order_id"),
    ForeignKey("olist_order_items", "product_id", "olist_products", "product_id"),
    ForeignKey("olist_order_items", "seller_id", "olist_sellers", "seller_id"),
    ForeignKey("olist_order_payments", "order_id", "olist_orders", "order_id"),
    ForeignKey("olist_order_reviews", "order_id", "olist_orders", "order_id"),
)

VIEWS: tuple[View, ...] = (
    View(
        "v_order_details",
        """CREATE VIEW IF NOT EXISTS v_order_details AS
SELECT o.order_id, o.order_status, o.order_purchase_timestamp, o.order_approved_at,
       o.order_delivered_carrier_date, o.order_delivered_customer_date, o.order_estimated_delivery_date,
       c.customer_unique_id, c.customer_city, c.customer_state, c.customer_zip_code_prefix,
       oi.order_item_id, oi.product_id, oi.seller_id, oi.price, oi.freight_value, oi.shipping_limit_date
FROM olist_orders o
JOIN olist_customers c ON o.customer_id = c.customer_id
JOIN olist_order_items oi ON o.order_id = oi.order_id""",
        ("olist_orders", "olist_customers", "olist_order_items"),
        "Order lines with their order's status and dates and the customer's location.",
    ),
    View(
        "v_order_payments",
        """CREATE VIEW IF NOT EXISTS v_order_payments AS
SELECT o.order_id, o.order_status, o.order_purchase_timestamp, o.customer_id,
       p.payment_sequential, p.payment_type, p.payment_installments, p.payment_value
FROM olist_orders o
JOIN olist_order_payments p ON o.order_id = p.order_id""",
        ("olist_orders", "olist_order_payments"),
        "Payments with their order's status and purchase time.",
    ),
    View(
        "v_order_reviews",
        """CREATE VIEW IF NOT EXISTS v_order_reviews AS
SELECT o.order_id, o.order_status, o.order_purchase_timestamp, o.customer_id,
       r.review_id, r.review_score, r.review_comment_title, r.review_comment_message,
       r.review_creation_date, r.review_answer_timestamp
FROM olist_orders o
JOIN olist_order_reviews r ON o.order_id = r.order_id""",
        ("olist_orders", "olist_order_reviews"),
        "Reviews with their order's status and purchase time.",
    ),
    View(
        "v_seller_performance",
        """CREATE VIEW IF NOT EXISTS v_seller_performance AS
SELECT s.seller_id, s.seller_city, s.seller_state, s.seller_zip_code_prefix,
       p.product_id, p.product_category_name,
       oi.order_id, oi.price, oi.freight_value,
       r.review_score
FROM olist_order_items oi
JOIN olist_sellers s ON oi.seller_id = s.seller_id
JOIN olist_products p ON oi.product_id = p.product_id
LEFT JOIN olist_order_reviews r ON oi.order_id = r.order_id""",
        ("olist_order_items", "olist_sellers", "olist_products", "olist_order_reviews"),
        "Seller revenue and review scores per sold item (row level; one row per item x review).",
    ),
    View(
        "v_product_sales",
        """CREATE VIEW IF NOT EXISTS v_product_sales AS
SELECT p.product_id, p.product_category_name, t.product_category_name_english,
       p.product_weight_g, p.product_length_cm, p.product_height_cm, p.product_width_cm,
       oi.order_id, oi.seller_id, oi.price, oi.freight_value
FROM olist_order_items oi
JOIN olist_products p ON oi.product_id = p.product_id
LEFT JOIN product_category_name_translation t ON p.product_category_name = t.product_category_name""",
        ("olist_order_items", "olist_products", "product_category_name_translation"),
        "Sold items with product category (Portuguese and English) and dimensions.",
    ),
)

_TABLES = {t.name: t for t in TABLES}


def table(name: str) -> Table:
    """The table called `name` (KeyError if it is not an Olist table)."""
    return _TABLES[name]


def table_ddl(t: Table) -> str:
    """CREATE TABLE statement: all TEXT, named FK constraints."""
    cols = [f'"{c}" TEXT' for c in t.columns]
    fks = [
        f'CONSTRAINT {fk.name} FOREIGN KEY ("{fk.column}") REFERENCES {fk.ref_table} ("{fk.ref_column}")'
        for fk in FOREIGN_KEYS
        if fk.table == t.name
    ]
    return f"CREATE TABLE {t.name} (\n  " + ",\n  ".join(cols + fks) + "\n)"


def create_schema(conn: sqlite3.Connection) -> None:
    """Create the 9 tables and 5 views on a SQLite connection."""
    cur = conn.cursor()
    for t in TABLES:
        cur.execute(table_ddl(t))
    for v in VIEWS:
        cur.execute(v.sql)


def warehouse_schema() -> WarehouseSchema:
    """The world's tables with their keys and foreign keys, for the profile suite: the keys are metadata
    here (not in the DDL, so faults can break them), so the warehouse cannot tell them itself."""
    from oncall.quality.schema import ForeignKeyShape, TableShape, WarehouseSchema

    return WarehouseSchema(
        tables=[TableShape(name=t.name, columns=t.columns, key=t.key) for t in TABLES],
        foreign_keys=[
            ForeignKeyShape(table=f.table, column=f.column, ref_table=f.ref_table, ref_column=f.ref_column)
            for f in FOREIGN_KEYS
        ],
    )
