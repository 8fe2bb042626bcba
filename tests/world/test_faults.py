"""Fault specs: every kind on a copy of the small world, the kit spec, and every bad-spec case."""

from __future__ import annotations

import hashlib
import math
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from oncall.errors import FaultSpecError
from oncall.world.faults import KINDS, FaultSpec, apply_faults, builtin_specs, load_spec, parse_spec


@pytest.fixture
def db(small_world: Path, tmp_path: Path) -> Iterator[sqlite3.Connection]:
    """A writable copy of the small world's clean DB."""
    path = tmp_path / "clean.db"
    shutil.copyfile(small_world / "olist_source.db", path)
    conn = sqlite3.connect(path)
    yield conn
    conn.close()


def spec(*faults: dict[str, Any]) -> FaultSpec:
    return parse_spec({"name": "test", "faults": list(faults)}, "test.yaml")


def one(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...] = ()) -> Any:
    return conn.execute(sql, params).fetchone()[0]


def digest(conn: sqlite3.Connection) -> str:
    """Content hash of every table (the file itself may be rewritten without content changes)."""
    h = hashlib.sha256()
    for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"):
        for row in conn.execute(f'SELECT * FROM "{table}" ORDER BY rowid'):
            h.update(repr(row).encode())
    return h.hexdigest()


# -- the kit spec --------------------------------------------------------------------------------------


def test_kit_is_built_in_and_reproduces_the_three_bugs(db: sqlite3.Connection) -> None:
    assert "kit" in builtin_specs()
    kit = load_spec("kit")
    assert [f.kind for f in kit.faults] == ["delete_rows", "truncate", "set_null"]
    customers = one(db, "SELECT count(*) FROM olist_customers")
    items = one(db, "SELECT count(*) FROM olist_order_items")
    products = one(db, "SELECT count(*) FROM olist_products")
    smallest = [r[0] for r in db.execute("SELECT customer_id FROM olist_customers ORDER BY customer_id")]
    first_items = [r[0] for r in db.execute("SELECT rowid FROM olist_order_items ORDER BY rowid")]
    by_product_id = [r[0] for r in db.execute("SELECT product_id FROM olist_products ORDER BY product_id")]

    results = apply_faults(db, kit, seed=42)

    n_cust, n_items, n_prod = (
        math.floor(f * n) for f, n in ((0.08, customers), (0.05, items), (0.03, products))
    )
    assert [r.rows_touched for r in results] == [n_cust, n_items, n_prod]
    # Customers: exactly the lexicographically smallest ids are gone.
    left = {r[0] for r in db.execute("SELECT customer_id FROM olist_customers")}
    assert left == set(smallest[n_cust:])
    # Order items: the first rows by rowid have a 31-char seller id, the rest 32.
    short = [r[0] for r in db.execute("SELECT rowid FROM olist_order_items WHERE length(seller_id) = 31")]
    assert short == first_items[:n_items]
    assert one(db, "SELECT count(*) FROM olist_order_items WHERE length(seller_id) = 32") == items - n_items
    # Products: the first non-NULL categories by product_id become NULL ('' counts as not NULL).
    nulled = {
        r[0] for r in db.execute("SELECT product_id FROM olist_products WHERE product_category_name IS NULL")
    }
    assert nulled == set(by_product_id[:n_prod])


# -- every kind ----------------------------------------------------------------------------------------


def test_delete_rows_with_where_and_count(db: sqlite3.Connection) -> None:
    before = one(db, "SELECT count(*) FROM olist_orders WHERE order_status = 'delivered'")
    results = apply_faults(
        db,
        spec(
            {
                "table": "olist_orders",
                "kind": "delete_rows",
                "count": 10,
                "where": "order_status = 'delivered'",
            }
        ),
    )
    assert results[0].rows_touched == 10
    assert one(db, "SELECT count(*) FROM olist_orders WHERE order_status = 'delivered'") == before - 10


def test_duplicate_rows_copies_whole_rows(db: sqlite3.Connection) -> None:
    total = one(db, "SELECT count(*) FROM olist_sellers")
    results = apply_faults(db, spec({"table": "olist_sellers", "kind": "duplicate_rows", "count": 5}))
    assert results[0].rows_touched == 5
    assert one(db, "SELECT count(*) FROM olist_sellers") == total + 5
    dup_groups = "SELECT count(*) FROM (SELECT 1 FROM olist_sellers GROUP BY seller_id HAVING count(*) = 2)"
    assert one(db, dup_groups) == 5


def test_set_null_and_set_value(db: sqlite3.Connection) -> None:
    apply_faults(
        db,
        spec(
            {"table": "olist_orders", "kind": "set_null", "column": "order_status", "count": 7},
            {"table": "olist_orders", "kind": "set_value", "column": "order_status", "value": "lost",
             "count": 4,
             "where": "order_status IS NOT NULL"},
        ),
    )  # fmt: skip
    assert one(db, "SELECT count(*) FROM olist_orders WHERE order_status IS NULL") == 7
    assert one(db, "SELECT count(*) FROM olist_orders WHERE order_status = 'lost'") == 4


def test_truncate_cuts_chars_from_the_end(db: sqlite3.Connection) -> None:
    first = one(db, "SELECT product_id FROM olist_order_items ORDER BY rowid LIMIT 1")
    apply_faults(
        db,
        spec({"table": "olist_order_items", "kind": "truncate", "column": "product_id", "chars": 4,
              "count": 3, "order_by": "rowid"}),
    )  # fmt: skip
    assert one(db, "SELECT product_id FROM olist_order_items ORDER BY rowid LIMIT 1") == first[:28]
    assert one(db, "SELECT count(*) FROM olist_order_items WHERE length(product_id) = 28") == 3


def test_round_and_scale_change_numbers_but_keep_blanks(db: sqlite3.Connection) -> None:
    prices = dict(db.execute("SELECT rowid, CAST(price AS REAL) FROM olist_order_items"))
    apply_faults(
        db,
        spec(
            {"table": "olist_order_items", "kind": "round", "column": "price", "digits": 0, "fraction": 1.0},
            {"table": "olist_order_items", "kind": "scale", "column": "freight_value", "factor": 100,
             "count": 2, "order_by": "rowid"},
        ),
    )  # fmt: skip
    for rowid, price in db.execute("SELECT rowid, CAST(price AS REAL) FROM olist_order_items LIMIT 50"):
        assert price == round(prices[rowid])
    # Blank weights stay blank under scale.
    apply_faults(
        db,
        spec({"table": "olist_products", "kind": "scale", "column": "product_weight_g", "factor": 2,
              "fraction": 1.0}),
    )  # fmt: skip
    assert one(db, "SELECT count(*) FROM olist_products WHERE product_weight_g IS NULL") == 0


def test_shift_days_moves_timestamps(db: sqlite3.Connection) -> None:
    first = one(db, "SELECT order_purchase_timestamp FROM olist_orders ORDER BY rowid LIMIT 1")
    apply_faults(
        db,
        spec({"table": "olist_orders", "kind": "shift_days", "column": "order_purchase_timestamp",
              "days": -400, "count": 1, "order_by": "rowid"}),
    )  # fmt: skip
    shifted = one(db, "SELECT order_purchase_timestamp FROM olist_orders ORDER BY rowid LIMIT 1")
    assert shifted == one(db, "SELECT strftime('%Y-%m-%d %H:%M:%S', ?, '-400 days')", (first,))


def test_orphan_fk_points_at_ids_that_exist_nowhere(db: sqlite3.Connection) -> None:
    dangling = (
        "SELECT count(*) FROM olist_order_payments WHERE order_id NOT IN (SELECT order_id FROM olist_orders)"
    )
    assert one(db, dangling) == 0
    orders = one(db, "SELECT count(*) FROM olist_orders")
    results = apply_faults(
        db, spec({"table": "olist_order_payments", "kind": "orphan_fk", "column": "order_id", "count": 12})
    )
    assert results[0].rows_touched == 12
    assert one(db, dangling) == 12
    assert one(db, "SELECT count(*) FROM olist_orders") == orders  # the referenced table is untouched
    assert one(db, "SELECT count(*) FROM olist_order_payments WHERE length(order_id) = 32") == one(
        db, "SELECT count(*) FROM olist_order_payments"
    )


def test_every_kind_is_covered_here() -> None:
    covered = {"delete_rows", "duplicate_rows", "set_null", "set_value", "truncate", "round", "scale"}
    covered |= {"shift_days", "orphan_fk"}
    assert covered == set(KINDS)


def test_random_selection_is_seeded(small_world: Path, tmp_path: Path) -> None:
    picked: list[set[str]] = []
    for seed in (1, 1, 2):
        path = tmp_path / f"c{len(picked)}.db"
        shutil.copyfile(small_world / "olist_source.db", path)
        conn = sqlite3.connect(path)
        apply_faults(
            conn, spec({"table": "olist_customers", "kind": "delete_rows", "fraction": 0.1}), seed=seed
        )
        picked.append({r[0] for r in conn.execute("SELECT customer_id FROM olist_customers")})
        conn.close()
    assert picked[0] == picked[1]
    assert picked[0] != picked[2]


# -- bad specs -------------------------------------------------------------------------------------------

OK = {"table": "olist_orders", "kind": "set_null", "column": "order_status", "count": 1}


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ({**OK, "kind": "explode"}, "faults[0].kind: unknown kind 'explode'"),
        ({**OK, "table": "olist_nope"}, "faults[0].table: unknown table 'olist_nope'"),
        ({**OK, "column": "foo"}, "faults[0].column: 'foo' is not a column of olist_orders"),
        ({**OK, "kind": "set_value"}, "faults[0].value: required by kind set_value"),
        ({**OK, "kind": "truncate"}, "faults[0].chars: required by kind truncate"),
        ({**OK, "kind": "round"}, "faults[0].digits: required by kind round"),
        ({**OK, "kind": "scale"}, "faults[0].factor: required by kind scale"),
        ({**OK, "kind": "shift_days"}, "faults[0].days: required by kind shift_days"),
        ({"table": "olist_orders", "kind": "delete_rows", "count": 1, "column": "order_id"},
         "faults[0].column: not a parameter of kind delete_rows"),
        ({**OK, "chars": 2}, "faults[0].chars: not a parameter of kind set_null"),
        ({**OK, "fraction": 0.1}, "faults[0].count: give exactly one of count or fraction"),
        ({**OK, "count": None}, "faults[0].count: give exactly one of count or fraction"),
        ({**OK, "count": -1}, "faults[0].count: Input should be greater than or equal to 0"),
        ({**OK, "fraction": 1.5, "count": None}, "faults[0].fraction: Input should be less than or equal"),
        ({**OK, "colour": "red"}, "faults[0].colour: unknown field"),
        ({**OK, "kind": "orphan_fk", "column": "order_status"},
         "faults[0].column: 'order_status' is not a foreign key of olist_orders"),
    ],
)  # fmt: skip
def test_bad_fault_is_rejected_naming_the_field(fault: dict[str, Any], message: str) -> None:
    fault = {k: v for k, v in fault.items() if v is not None}
    with pytest.raises(FaultSpecError) as err:
        parse_spec({"name": "bad", "faults": [OK, fault]}, "bad.yaml")
    assert message.replace("faults[0]", "faults[1]") in str(err.value)
    assert str(err.value).startswith("bad.yaml: ")


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ({**OK, "count": 10**6}, "faults[1].count: asks for 1,000,000 rows but olist_orders has"),
        ({**OK, "count": 3, "where": "order_status = 'approved' AND 0"}, "faults[1].count: asks for 3 rows"),
        ({**OK, "where": "order_status = = 1"}, "faults[1].where: 'order_status = = 1' is not valid SQL"),
        ({**OK, "where": "no_such_col = 1"}, "faults[1].where: 'no_such_col = 1' is not valid SQL"),
        ({**OK, "order_by": "order_id; DROP TABLE olist_orders"}, "faults[1].order_by:"),
    ],
)
def test_spec_checked_against_the_db_writes_nothing(
    db: sqlite3.Connection, fault: dict[str, Any], message: str
) -> None:
    before = digest(db)
    bad = spec({"table": "olist_customers", "kind": "delete_rows", "count": 5}, fault)
    with pytest.raises(FaultSpecError, match=None) as err:
        apply_faults(db, bad)
    assert message in str(err.value)
    assert digest(db) == before
    assert one(db, "SELECT count(*) FROM sqlite_master WHERE name = 'olist_orders'") == 1


def test_later_fault_asking_too_much_rolls_everything_back(db: sqlite3.Connection) -> None:
    before = digest(db)
    total = one(db, "SELECT count(*) FROM olist_customers")
    greedy = spec(
        {"table": "olist_customers", "kind": "delete_rows", "count": total - 1},
        {"table": "olist_customers", "kind": "delete_rows", "count": 2},
    )
    with pytest.raises(
        FaultSpecError, match=r"faults\[1\]\.count: asks for 2 rows but olist_customers has 1"
    ):
        apply_faults(db, greedy)
    assert digest(db) == before


def test_malformed_yaml_and_unknown_spec(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: x\nfaults: [ {table: olist_orders,\n", encoding="utf-8")
    with pytest.raises(FaultSpecError, match=r"broken\.yaml: not valid YAML"):
        load_spec(broken)
    with pytest.raises(FaultSpecError, match="neither a built-in spec"):
        load_spec(tmp_path / "missing.yaml")
    listy = tmp_path / "list.yaml"
    listy.write_text(yaml.safe_dump([1, 2]), encoding="utf-8")
    with pytest.raises(FaultSpecError, match="expected a mapping"):
        load_spec(listy)
    nameless = tmp_path / "nameless.yaml"
    nameless.write_text(yaml.safe_dump({"faults": []}), encoding="utf-8")
    with pytest.raises(FaultSpecError, match="name: Field required"):
        load_spec(nameless)


def test_spec_file_round_trip(tmp_path: Path, db: sqlite3.Connection) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump({"name": "mine", "faults": [OK]}), encoding="utf-8")
    loaded = load_spec(path)
    assert loaded.name == "mine"
    assert loaded.source == str(path)
    assert apply_faults(db, loaded)[0].rows_touched == 1
