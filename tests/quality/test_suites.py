"""Suites as data: the kit matches FACTS.md, the profile is derived from the baseline, bad files fail."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from oncall.config import Config
from oncall.errors import SuiteError
from oncall.quality.baseline import BaselineStats, Spread, TableStats
from oncall.quality.models import Suite
from oncall.quality.runner import build_suites
from oncall.quality.suites import load_suite, parse_suite, suite_problems, validate_suite
from oncall.world.build import WorldSummary
from oncall.world.demo_suites import DEMO_SUITES, demo_suite, resolve_suites
from oncall.world.schema import FOREIGN_KEYS, TABLES, warehouse_schema


def _facts_kit_rows(facts: str) -> list[dict[str, str]]:
    """The 11 assertion rows of FACTS.md's kit table."""
    rows = []
    for line in facts.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 8 and re.fullmatch(r"\d+( ★)?", cells[0]):
            table, name, _sql, scope, operator, field, _desc = cells[1:]
            rows.append(
                {
                    "table": table,
                    "name": name.strip("`"),
                    "scope": scope,
                    "operator": operator,
                    "field": field,
                }
            )
    return rows


def test_kit_matches_the_original_build(shared_dir: Path, small_suites: dict[str, Suite]) -> None:
    facts = _facts_kit_rows((shared_dir / "olist" / "FACTS.md").read_text(encoding="utf-8"))
    assert len(facts) == 11
    kit = small_suites["kit"].checks
    rows = small_suites["kit"].checks[7]
    for expected, check in zip(facts, kit, strict=True):
        name = expected["name"]
        if name.startswith("row_count_eq_"):
            name = f"row_count_eq_{rows.parameters['value']}"
        assert (check.table, check.name, check.scope, check.operator) == (
            expected["table"],
            name,
            expected["scope"],
            expected["operator"],
        )
        assert check.field == (None if expected["field"] in ("—", "-") else expected["field"])
        assert check.threshold == 0


def test_row_count_is_derived_from_the_baseline(
    small_suites: dict[str, Suite], world_summary: WorldSummary
) -> None:
    clean = world_summary.rows["olist_source"]["olist_customers"]
    names = {c.name for c in small_suites["kit"].checks}
    assert f"row_count_eq_{clean}" in names
    check = next(c for c in small_suites["kit"].checks if c.name == f"row_count_eq_{clean}")
    assert str(clean) in check.sql and "{{" not in check.sql


def test_kit_without_a_baseline_names_what_is_missing() -> None:
    with pytest.raises(SuiteError, match=r"checks\[7\].*baseline_rows.*olist_customers"):
        load_suite(demo_suite("kit"))


def test_profile_covers_every_table_key_and_foreign_key(small_suites: dict[str, Suite]) -> None:
    checks = small_suites["profile"].checks
    by_family: dict[str, list] = {}
    for check in checks:
        by_family.setdefault(check.family or "", []).append(check)
    assert {c.table for c in by_family["volume"]} == {t.name for t in TABLES}
    assert {(c.table, c.field) for c in by_family["completeness"]} == {
        (t.name, col) for t in TABLES for col in t.columns
    }
    assert {c.table for c in by_family["unique_key"]} == {t.name for t in TABLES if t.key}
    fks = {(c.table, c.field, c.native_parameters["referenced_table"]) for c in by_family["foreign_key"]}
    assert fks == {(fk.table, fk.column, fk.ref_table) for fk in FOREIGN_KEYS}
    id_columns = {(c.table, c.field) for c in by_family["id_format"]}
    assert ("olist_order_items", "seller_id") in id_columns
    assert ("olist_order_items", "order_item_id") not in id_columns  # "1", "2": not hex ids in the baseline
    assert {c.field for c in by_family["numeric_range"]} == {
        "price",
        "freight_value",
        "payment_value",
        "payment_installments",
        "review_score",
    }
    assert {c.field for c in by_family["accepted_values"]} >= {
        "order_status",
        "payment_type",
        "customer_state",
    }
    assert [c.field for c in by_family["freshness"]] == ["order_purchase_timestamp"]
    money = {
        ("olist_order_items", "price"),
        ("olist_order_items", "freight_value"),
        ("olist_order_payments", "payment_value"),
    }
    assert {(c.table, c.field) for c in by_family["precision"]} == money
    assert {(c.table, c.field) for c in by_family["magnitude"]} == money
    assert set(by_family) == {
        "volume",
        "completeness",
        "unique_key",
        "id_format",
        "foreign_key",
        "numeric_range",
        "accepted_values",
        "freshness",
        "precision",
        "magnitude",
    }
    assert all(c.description and "{{" not in c.description for c in checks)


def _baseline(rows: int = 100, blank: int = 0, states: tuple[str, ...] = ()) -> BaselineStats:
    tables = {
        t.name: TableStats(
            rows=rows,
            blanks={c: blank for c in t.columns},
            not_hex32={c: 0 for c in t.columns if c.endswith("_id")},
            maxima={"order_purchase_timestamp": "2018-10-17 17:30:18"},
            distinct={"customer_state": list(states)},
            numbers={c: rows for c in ("price", "freight_value", "payment_value")},
            whole={c: 20 for c in ("price", "freight_value", "payment_value")},
            spread={
                c: Spread(low=0.5, high=5000.0, factor=10, beyond=3)
                for c in ("price", "freight_value", "payment_value")
            },
        )
        for t in TABLES
    }
    return BaselineStats(instance="olist_source", tables=tables, warehouse=warehouse_schema())


def test_profile_thresholds_follow_the_baseline() -> None:
    profile = load_suite(demo_suite("profile"), baseline=_baseline(rows=1000, blank=37, states=("XX",)))
    volume = next(c for c in profile.checks if c.family == "volume" and c.table == "olist_orders")
    assert volume.threshold == 50 and volume.parameters == {"min_value": "950", "max_value": "1050"}
    blank = next(c for c in profile.checks if c.name == "customer_city_blank_rate_le_baseline")
    assert "37" in blank.sql and blank.parameters["value"] == "0.037000"
    states = next(c for c in profile.checks if c.name == "customer_state_accepted_values")
    assert "'XX'" in states.sql and "'SP'" in states.sql  # the baseline's own values are accepted too
    fresh = next(c for c in profile.checks if c.family == "freshness")
    assert "'2018-10-17 17:30:18'" in fresh.sql
    # precision: the baseline's 20 whole of 1000 plus 5% of 1000 may be whole
    whole = next(c for c in profile.checks if c.name == "payment_value_whole_number_rate_le_baseline")
    assert "> 70 * n" in whole.sql and whole.parameters["value"] == "0.070000"
    assert whole.threshold == 0 and "2.00% (20 of 1000)" in whole.description
    # magnitude: the baseline's 3 of 1000 beyond 0.5..5000 plus 0.5% of 1000
    scale = next(c for c in profile.checks if c.name == "price_magnitude_within_baseline")
    assert "< 0.5 OR" in scale.sql and "> 5000 THEN" in scale.sql and "> 8 * n" in scale.sql
    assert scale.parameters["value"] == "0.008000" and scale.native_parameters["factor"] == "10"


def test_numeric_families_skip_columns_the_baseline_has_no_numbers_in() -> None:
    empty = _baseline(rows=1000)
    empty.tables["olist_order_items"].numbers["price"] = 0
    del empty.tables["olist_order_payments"].spread["payment_value"]
    checks = load_suite(demo_suite("profile"), baseline=empty).checks
    named = {(c.family, c.field) for c in checks if c.family in ("precision", "magnitude")}
    assert ("precision", "price") not in named and ("magnitude", "price") not in named
    assert ("magnitude", "payment_value") not in named and ("precision", "payment_value") in named


BAD_SUITES = [
    (
        "name: x\nchecks: [{name: a, table: t, sql: 'SELECT 1', description: d, colour: red}]",
        r"checks\[0\]\.colour",
    ),
    ("name: x\nchecks: [{name: a, table: t, description: d}]", r"checks\[0\]\.sql"),
    (
        "name: x\nchecks: [{name: a, table: t, sql: 'SELECT 1', description: d, scope: EVERYWHERE}]",
        r"checks\[0\]\.scope",
    ),
    (
        "name: x\nchecks: [{name: a, table: t, sql: 'SELECT {{ nope }}', description: d}]",
        r"checks\[0\].*nope",
    ),
    (
        "name: x\nchecks: [{name: a, table: t, sql: 'SELECT {{ upper(x) }}', description: d}]",
        r"unknown SQL macro 'upper'",
    ),
    (
        "name: x\nchecks: [{name: a, table: 't; DROP', sql: 'SELECT 1', description: d}]",
        r"checks\[0\] \(a\)\.table: 't; DROP' is not a plain SQL identifier",
    ),
    (
        "name: x\nchecks:\n - {name: a, table: t, sql: 'SELECT 1', description: d}\n"
        " - {name: a, table: t, sql: 'SELECT 2', description: d}",
        r"checks\[1\]\.name: 'a' appears twice",
    ),
    ("name: x\nchecks: []", "no checks"),
    ("name: x\nchecks: [unclosed", "not valid YAML"),
    ("- just\n- a list", "expected a mapping"),
    (
        "name: x\nprofile: {numeric_range: [{table: olist_orders, column: nope, min: 0}]}",
        r"numeric_range\[0\]\.column",
    ),
    (
        "name: x\nprofile: {precision: [{table: olist_order_items, column: colour}]}",
        r"profile\.precision\[0\]\.column: unknown column 'colour'",
    ),
    (
        "name: x\nprofile: {magnitude: [{table: olist_order_items, column: price, factor: 1}]}",
        r"profile\.magnitude\[0\]\.factor",
    ),
]


@pytest.mark.parametrize(("text", "message"), BAD_SUITES)
def test_malformed_suites_are_rejected_naming_the_field(text: str, message: str) -> None:
    with pytest.raises(SuiteError, match=message):
        parse_suite(text, baseline=_baseline(), source="my.yaml")


def test_a_missing_suite_file_says_what_to_pass(tmp_path: Path) -> None:
    with pytest.raises(SuiteError, match=r"no suite file .*give the path of a suite YAML file"):
        load_suite(tmp_path / "kitt.yaml")


def test_the_cli_names_of_the_demo_suites_become_their_files(tmp_path: Path) -> None:
    mine = tmp_path / "mine.yaml"
    assert resolve_suites(["kit", mine, "profile"]) == [demo_suite("kit"), mine, demo_suite("profile")]
    assert all(demo_suite(n).is_file() for n in DEMO_SUITES)
    assert load_suite(demo_suite("kit"), baseline=_baseline()).name == "kit"


def test_unknown_tables_and_columns_are_named() -> None:
    suite = parse_suite(
        "name: mine\nchecks:\n"
        " - {name: ok, table: olist_orders, field: order_id, sql: 'SELECT 0', description: d}\n"
        " - {name: t, table: olist_nope, sql: 'SELECT 0', description: d}\n"
        " - {name: c, table: olist_orders, field: colour, sql: 'SELECT 0', description: d}\n"
    )
    columns = {"olist_orders": {"order_id"}}
    problems = suite_problems(suite, columns)
    assert set(problems) == {1, 2}
    assert "checks[1].table" in problems[1] and "olist_nope" in problems[1]
    assert "checks[2].field" in problems[2] and "colour" in problems[2]
    with pytest.raises(SuiteError, match="colour"):
        validate_suite(suite, columns)


def test_a_rule_on_an_unknown_column_is_named_before_the_baseline_is_read(
    small_config: Config, tmp_path: Path
) -> None:
    suite = tmp_path / "mine.yaml"
    suite.write_text("name: mine\nprofile: {magnitude: [{table: olist_order_items, column: colour}]}\n")
    with pytest.raises(SuiteError, match=r"profile\.magnitude\[0\]\.column: unknown column 'colour'"):
        build_suites(small_config, [suite], schema=warehouse_schema())
