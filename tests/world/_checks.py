"""Checks of the published Olist facts on a clean world DB, shared by the small- and full-scale tests.

Expected values come from `oncall.world._data` (the FACTS.md numbers) scaled by the world's scale with
round-half-up. `slack` is the tolerance in rows for figures that several rounded counts feed into
(distinct persons, repeat reviews, shared review ids); it is 0 at full scale, where every fact is exact.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping

from oncall.world import _data as facts
from oncall.world.generate import scaled
from oncall.world.schema import FOREIGN_KEYS

ID_COLUMNS = {
    "olist_customers": ("customer_id", "customer_unique_id"),
    "olist_orders": ("order_id", "customer_id"),
    "olist_order_items": ("order_id", "product_id", "seller_id"),
    "olist_order_payments": ("order_id",),
    "olist_order_reviews": ("review_id", "order_id"),
    "olist_products": ("product_id",),
    "olist_sellers": ("seller_id",),
}


def one(conn: sqlite3.Connection, sql: str) -> int:
    return conn.execute(sql).fetchone()[0]


def counts(conn: sqlite3.Connection, sql: str) -> dict[str, int]:
    return {str(k): n for k, n in conn.execute(sql)}


def grouped(conn: sqlite3.Connection, table: str, expr: str) -> dict[str, int]:
    """Rows per value of `expr`."""
    return counts(conn, f"SELECT {expr}, count(*) FROM {table} GROUP BY 1")


def duplicate_keys(conn: sqlite3.Connection, table: str, key: str) -> int:
    return one(conn, f"SELECT count(*) FROM (SELECT 1 FROM {table} GROUP BY {key} HAVING count(*) > 1)")


def orders_without(conn: sqlite3.Connection, table: str) -> int:
    return one(
        conn, f"SELECT count(*) FROM olist_orders WHERE order_id NOT IN (SELECT order_id FROM {table})"
    )


def check_row_counts(conn: sqlite3.Connection, scale: float) -> None:
    expected = {
        "olist_customers": facts.ORDERS,
        "olist_orders": facts.ORDERS,
        "olist_order_items": facts.ITEMS,
        "olist_order_payments": facts.PAYMENTS,
        "olist_order_reviews": facts.REVIEWS,
        "olist_products": facts.PRODUCTS,
        "olist_sellers": facts.SELLERS,
    }
    for table, full in expected.items():
        assert one(conn, f"SELECT count(*) FROM {table}") == max(1, scaled(full, scale)), table


def check_ids(conn: sqlite3.Connection) -> None:
    for table, columns in ID_COLUMNS.items():
        for col in columns:
            bad = one(
                conn, f"SELECT count(*) FROM {table} WHERE length({col}) != 32 OR {col} GLOB '*[^0-9a-f]*'"
            )
            assert bad == 0, f"{table}.{col} has {bad} ids that are not 32-char lowercase hex"


def check_keys_and_gaps(conn: sqlite3.Connection, scale: float, slack: int) -> None:
    norders = one(conn, "SELECT count(*) FROM olist_orders")
    # 1:1 orders <-> customers, unique keys.
    assert one(conn, "SELECT count(DISTINCT customer_id) FROM olist_orders") == norders
    assert one(conn, "SELECT count(DISTINCT customer_id) FROM olist_customers") == norders
    assert one(conn, "SELECT count(DISTINCT order_id) FROM olist_orders") == norders
    assert duplicate_keys(conn, "olist_order_items", "order_id, order_item_id") == 0
    assert duplicate_keys(conn, "olist_order_payments", "order_id, payment_sequential") == 0
    assert duplicate_keys(conn, "olist_order_reviews", "review_id, order_id") == 0
    # Every FK resolves in the clean world.
    for fk in FOREIGN_KEYS:
        dangling = one(
            conn,
            f"SELECT count(*) FROM {fk.table} "
            f"WHERE {fk.column} NOT IN (SELECT {fk.ref_column} FROM {fk.ref_table})",
        )
        assert dangling == 0, f"{fk.table}.{fk.column} has {dangling} dangling values"
    # The documented gaps.
    assert orders_without(conn, "olist_order_items") == scaled(facts.ORDERS_WITHOUT_ITEMS, scale)
    assert orders_without(conn, "olist_order_payments") == scaled(facts.ORDERS_WITHOUT_PAYMENT, scale)
    assert orders_without(conn, "olist_order_reviews") == scaled(facts.ORDERS_WITHOUT_REVIEW, scale)
    many = duplicate_keys(conn, "olist_order_reviews", "order_id")
    assert abs(many - scaled(facts.ORDERS_WITH_MANY_REVIEWS, scale)) <= slack
    distinct_ids = one(conn, "SELECT count(DISTINCT review_id) FROM olist_order_reviews")
    assert distinct_ids == scaled(facts.DISTINCT_REVIEW_IDS, scale)
    shared = duplicate_keys(conn, "olist_order_reviews", "review_id")
    assert abs(shared - scaled(facts.SHARED_REVIEW_IDS, scale)) <= slack
    # Every product is sold and every seller sells.
    sold = one(conn, "SELECT count(DISTINCT product_id) FROM olist_order_items")
    assert sold == one(conn, "SELECT count(*) FROM olist_products")
    selling = one(conn, "SELECT count(DISTINCT seller_id) FROM olist_order_items")
    assert selling == one(conn, "SELECT count(*) FROM olist_sellers")
    # Persons: distinct customer_unique_id and the purchases-per-person table.
    persons = one(conn, "SELECT count(DISTINCT customer_unique_id) FROM olist_customers")
    assert persons == scaled(96_096, scale)
    per_person = counts(
        conn,
        "SELECT n, count(*) FROM "
        "(SELECT count(*) n FROM olist_customers GROUP BY customer_unique_id) GROUP BY n",
    )
    for k, people in facts.PURCHASES_PER_PERSON.items():
        if k == 1:
            continue  # implied by the person count and the rest of the table
        # Two-order buyers are solved for so the person count stays exact: within 5% at small scale.
        tolerance = max(slack, 0.05 * scaled(people, scale)) if k == 2 else slack
        assert abs(per_person.get(str(k), 0) - scaled(people, scale)) <= tolerance, f"{k} orders per person"


def check_categories(conn: sqlite3.Connection, scale: float) -> None:
    cats = grouped(conn, "olist_products", "coalesce(product_category_name, 'NULL')")
    assert "NULL" not in cats
    assert cats.pop("") == scaled(facts.BLANK_CATEGORY_PRODUCTS, scale)
    assert len(cats) == 73
    translated = {
        r[0] for r in conn.execute("SELECT product_category_name FROM product_category_name_translation")
    }
    assert len(translated) == 71
    assert set(cats) - translated == {"pc_gamer", "portateis_cozinha_e_preparadores_de_alimentos"}
    # The blank-category products also lack the descriptive fields, as in the CSV.
    described = one(
        conn,
        "SELECT count(*) FROM olist_products WHERE product_category_name = '' AND product_name_lenght != ''",
    )
    assert described == 0


def check_no_nulls(conn: sqlite3.Connection) -> None:
    for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
        cols = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
        nulls = one(
            conn, f"SELECT count(*) FROM {table} WHERE " + " OR ".join(f'"{c}" IS NULL' for c in cols)
        )
        assert nulls == 0, f"{table} has {nulls} rows with NULLs; the kit stores blanks as ''"


# Rows per category in the published facts, keyed by the value as text or as a number.
_Counts = Mapping[str, int] | Mapping[int, int]


def _within(observed: Mapping[str, int], full: _Counts, total: int, slack: float, what: str) -> None:
    """Each category's count is its full-scale share of `total`, within `slack` rows."""
    full_total = sum(full.values())
    for key, n in full.items():
        expected = n * total / full_total
        got = observed.get(str(key), 0)
        assert abs(got - expected) <= slack, f"{what} {key}: {got} rows, expected {expected:.1f} +- {slack}"
    unexpected = set(observed) - {str(k) for k in full}
    assert not unexpected, f"{what}: unexpected values {unexpected}"


def check_distributions(conn: sqlite3.Connection, slack: float) -> None:
    norders = one(conn, "SELECT count(*) FROM olist_orders")
    npay = one(conn, "SELECT count(*) FROM olist_order_payments")
    nrev = one(conn, "SELECT count(*) FROM olist_order_reviews")
    status = grouped(conn, "olist_orders", "order_status")
    _within(status, facts.ORDER_STATUS, norders, slack, "order_status")
    months = grouped(conn, "olist_orders", "substr(order_purchase_timestamp, 1, 7)")
    _within(months, facts.ORDERS_PER_MONTH, norders, slack, "month")
    assert "2016-11" not in months
    types = grouped(conn, "olist_order_payments", "payment_type")
    _within(types, facts.PAYMENT_TYPES, npay, slack, "payment_type")
    installments = grouped(conn, "olist_order_payments", "payment_installments")
    _within(installments, facts.INSTALLMENTS, npay, slack, "installments")
    scores = grouped(conn, "olist_order_reviews", "review_score")
    _within(scores, facts.REVIEW_SCORES, nrev, slack, "review_score")
    lo, hi = conn.execute(
        "SELECT min(order_purchase_timestamp), max(order_purchase_timestamp) FROM olist_orders"
    ).fetchone()
    assert facts.FIRST_PURCHASE <= lo <= hi <= facts.LAST_PURCHASE
    # order_item_id runs 1..n inside every order.
    gaps = one(
        conn,
        "SELECT count(*) FROM (SELECT order_id FROM olist_order_items GROUP BY order_id "
        "HAVING max(CAST(order_item_id AS INT)) != count(*))",
    )
    assert gaps == 0
    sellers = set(grouped(conn, "olist_sellers", "seller_state"))
    assert sellers <= {st for st, v in facts.STATES.items() if v[1] > 0}
    # Only credit cards pay in several (or zero) installments.
    odd = one(
        conn,
        "SELECT count(*) FROM olist_order_payments "
        "WHERE payment_type != 'credit_card' AND payment_installments != '1'",
    )
    assert odd == 0


def _keys_as_text(table: _Counts) -> dict[str, int]:
    return {str(k): v for k, v in table.items()}


def check_full_scale_exact(conn: sqlite3.Connection) -> None:
    """Facts that hold exactly only at scale 1.0."""
    assert grouped(conn, "olist_orders", "order_status") == facts.ORDER_STATUS
    months = grouped(conn, "olist_orders", "substr(order_purchase_timestamp, 1, 7)")
    assert months == facts.ORDERS_PER_MONTH
    assert grouped(conn, "olist_order_items", "order_item_id") == _keys_as_text(facts.ORDER_ITEM_ROWS)
    assert grouped(conn, "olist_order_payments", "payment_type") == facts.PAYMENT_TYPES
    installments = grouped(conn, "olist_order_payments", "payment_installments")
    assert installments == _keys_as_text(facts.INSTALLMENTS)
    assert grouped(conn, "olist_order_reviews", "review_score") == _keys_as_text(facts.REVIEW_SCORES)
    sellers = grouped(conn, "olist_sellers", "seller_state")
    assert sellers == {st: v[1] for st, v in facts.STATES.items() if v[1]}
    assert conn.execute(
        "SELECT min(order_purchase_timestamp), max(order_purchase_timestamp) FROM olist_orders"
    ).fetchone() == (facts.FIRST_PURCHASE, facts.LAST_PURCHASE)
    blanks = conn.execute(
        "SELECT sum(order_approved_at = ''), sum(order_delivered_carrier_date = ''), "
        "sum(order_delivered_customer_date = '') FROM olist_orders"
    ).fetchone()
    assert blanks == (160, 1_783, 2_965)
    undelivered = grouped(conn, "olist_orders WHERE order_delivered_customer_date = ''", "order_status")
    assert undelivered["delivered"] == 8
    assert undelivered["canceled"] == 619
    assert one(conn, "SELECT count(*) FROM olist_geolocation") == facts.GEOLOCATION
    zips = one(conn, "SELECT count(DISTINCT geolocation_zip_code_prefix) FROM olist_geolocation")
    assert zips == facts.GEO_ZIPS
    assert one(conn, "SELECT max(CAST(payment_sequential AS INT)) FROM olist_order_payments") == 29
    assert one(conn, "SELECT count(*) FROM olist_order_payments WHERE CAST(payment_value AS REAL) = 0") == 9
    titles = one(conn, "SELECT count(*) FROM olist_order_reviews WHERE review_comment_title = ''")
    assert titles == facts.NULL_REVIEW_TITLES
    messages = one(conn, "SELECT count(*) FROM olist_order_reviews WHERE review_comment_message = ''")
    assert messages == facts.NULL_REVIEW_MESSAGES
