"""The runner on real warehouses: the kit world's expected failures, and every way a check can ERROR."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from oncall.config import Config
from oncall.quality.models import Suite, SuiteRun
from oncall.quality.runner import run_suite, run_suites, warehouse_url
from oncall.quality.suites import parse_suite
from oncall.world.build import WorldSummary
from tests.quality.conftest import touched


def _failing(run: SuiteRun) -> dict[tuple[str, str], float | None]:
    return {(r.check.table, r.check.name): r.observed for r in run.results if r.result != "SUCCESS"}


def _urls(config: Config) -> dict[str, str]:
    return {i: warehouse_url(config, i) for i in ("olist_source", "olist_dirty")}


@pytest.fixture(scope="module")
def sqlite_runs(small_suites: dict[str, Suite], small_config: Config) -> dict[tuple[str, str], SuiteRun]:
    runs = run_suites(list(small_suites.values()), _urls(small_config))
    return {(r.instance, r.suite): r for r in runs}


def test_kit_finds_exactly_the_three_planted_bugs(
    sqlite_runs: dict[tuple[str, str], SuiteRun], world_summary: WorldSummary
) -> None:
    clean_rows = world_summary.rows["olist_source"]["olist_customers"]
    assert _failing(sqlite_runs["olist_source", "kit"]) == {}
    assert _failing(sqlite_runs["olist_dirty", "kit"]) == {
        ("olist_order_items", "seller_id_length_eq_32"): touched(
            world_summary, "olist_order_items", "truncate"
        ),
        ("olist_customers", f"row_count_eq_{clean_rows}"): touched(
            world_summary, "olist_customers", "delete_rows"
        ),
        ("olist_products", "product_category_name_not_null"): touched(
            world_summary, "olist_products", "set_null"
        ),
    }
    passing = [r for r in sqlite_runs["olist_dirty", "kit"].results if r.result == "SUCCESS"]
    assert len(passing) == 8 and all(r.observed == 0 for r in passing)


def test_results_carry_rows_examined_and_the_executed_sql(
    sqlite_runs: dict[tuple[str, str], SuiteRun], world_summary: WorldSummary
) -> None:
    run = sqlite_runs["olist_dirty", "kit"]
    items = next(r for r in run.results if r.check.name == "seller_id_length_eq_32")
    assert items.row_count == world_summary.rows["olist_dirty"]["olist_order_items"]
    assert items.sql.startswith("SELECT") and run.warehouse.startswith("sqlite:///")
    assert len({r.run_id for r in sqlite_runs.values()}) == 1  # one run id for all instances and suites


def test_profile_flags_the_three_tables_and_the_orphaned_orders(
    sqlite_runs: dict[tuple[str, str], SuiteRun], world_summary: WorldSummary
) -> None:
    assert _failing(sqlite_runs["olist_source", "profile"]) == {}
    failing = [r for r in sqlite_runs["olist_dirty", "profile"].results if r.result != "SUCCESS"]
    assert {r.check.table for r in failing} == {
        "olist_customers",
        "olist_order_items",
        "olist_products",
        "olist_orders",
    }
    assert all(r.result == "FAILURE" for r in failing)
    orders = [r for r in failing if r.check.table == "olist_orders"]
    assert [(r.check.family, r.check.field) for r in orders] == [("foreign_key", "customer_id")]
    assert orders[0].check.native_parameters["referenced_table"] == "olist_customers"
    # customers and orders are 1:1, so every deleted customer orphans exactly one order
    assert orders[0].observed == touched(world_summary, "olist_customers", "delete_rows")
    families = {(r.check.table, r.check.family) for r in failing}
    assert ("olist_products", "completeness") in families and ("olist_customers", "volume") in families


def _suite(text: str) -> Suite:
    return parse_suite(text, source="test suite")


MIXED = """
name: mixed
checks:
  - name: fine
    table: olist_orders
    sql: SELECT COUNT(CASE WHEN order_id IS NULL THEN 1 END), COUNT(*) FROM olist_orders
    description: d
  - {name: no_table, table: olist_nope, sql: "SELECT COUNT(*) FROM olist_nope", description: d}
  - {name: no_column, table: olist_orders, field: colour, sql: "SELECT COUNT(colour) FROM olist_orders",
     description: d}
  - {name: bad_sql, table: olist_orders, sql: "SELEC COUNT(*) FROM olist_orders", description: d}
  - {name: not_a_number, table: olist_orders, sql: "SELECT 'many'", description: d}
  - {name: no_row, table: olist_orders, sql: "SELECT 1 FROM olist_orders WHERE 1 = 0", description: d}
  - {name: fine_after, table: olist_orders, sql: "SELECT 0", description: d}
"""


def test_each_failing_statement_is_an_error_with_its_reason(small_config: Config) -> None:
    run = run_suite(_suite(MIXED), warehouse_url(small_config, "olist_dirty"), instance="olist_dirty")
    by_name = {r.check.name: r for r in run.results}
    assert [by_name[n].result for n in ("fine", "fine_after")] == ["SUCCESS", "SUCCESS"]
    errors = {n: r for n, r in by_name.items() if r.result == "ERROR"}
    assert set(errors) == {"no_table", "no_column", "bad_sql", "not_a_number", "no_row"}
    assert (
        "checks[1].table" in (errors["no_table"].error or "") and errors["no_table"].error_kind == "invalid"
    )
    assert "colour" in (errors["no_column"].error or "") and "checks[2].field" in (
        errors["no_column"].error or ""
    )
    assert "syntax error" in (errors["bad_sql"].error or "") and errors["bad_sql"].error_kind == "query"
    assert "'many'" in (errors["not_a_number"].error or "")
    assert "no row" in (errors["no_row"].error or "")
    assert all(r.observed is None for r in errors.values())


SLOW = """
name: slow
checks:
  - name: forever
    table: olist_orders
    description: counts to a very large number
    sql: >-
      WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 10000000000)
      SELECT COUNT(*) FROM n
  - {name: quick, table: olist_orders, sql: "SELECT 0, COUNT(*) FROM olist_orders", description: d}
"""


def test_a_statement_that_runs_too_long_is_stopped(small_config: Config) -> None:
    run = run_suite(
        _suite(SLOW), warehouse_url(small_config, "olist_dirty"), instance="olist_dirty", timeout_s=0.3
    )
    slow, quick = run.results
    assert (
        slow.result == "ERROR"
        and slow.error_kind == "timeout"
        and "timed out after 0.3 s" in (slow.error or "")
    )
    assert slow.duration_ms < 5000
    assert quick.result == "SUCCESS" and quick.row_count  # the connection is still usable


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # nothing listens once the socket is closed


def test_an_unreachable_warehouse_errors_its_checks_and_others_still_run(
    small_suites: dict[str, Suite], small_config: Config, tmp_path: Path
) -> None:
    urls = {
        "olist_source": warehouse_url(small_config, "olist_source"),
        "ghost": f"postgresql://nobody:secret@127.0.0.1:{_closed_port()}/olist",
        "missing": f"sqlite:///file:{tmp_path / 'absent.db'}?mode=ro&uri=true",
    }
    runs = {r.instance: r for r in run_suites([small_suites["kit"]], urls)}
    assert all(r.result == "SUCCESS" for r in runs["olist_source"].results)
    for instance in ("ghost", "missing"):
        results = runs[instance].results
        assert len(results) == 11 and {r.result for r in results} == {"ERROR"}
        assert all("unreachable" in (r.error or "") and r.error_kind == "connection" for r in results)
    assert "secret" not in runs["ghost"].warehouse and "secret" not in (runs["ghost"].results[0].error or "")
    assert not (tmp_path / "absent.db").exists()  # read-only: never creates an empty world


def test_hex_id_macro_agrees_with_the_portable_fallback(small_config: Config) -> None:
    # The same check through the SQLite spelling and through the generic REPLACE chain.
    from sqlalchemy import create_engine, text

    from oncall.quality.templates import render_macros

    sql = "SELECT COUNT(CASE WHEN NOT {{ hex32(seller_id) }} THEN 1 END) FROM olist_order_items"
    engine = create_engine(warehouse_url(small_config, "olist_dirty"))
    with engine.connect() as conn:
        native = conn.execute(text(render_macros(sql, "sqlite"))).scalar()
        generic = conn.execute(text(render_macros(sql, "some_other_dialect"))).scalar()
    engine.dispose()
    assert native == generic and native and native > 0


def _observed(runs: list[SuiteRun]) -> dict[tuple[str, str, str], tuple[str, float | None]]:
    return {
        (r.instance, x.check.table, x.check.name): (x.result, x.observed) for r in runs for x in r.results
    }


def _assert_same_results(other: list[SuiteRun], sqlite_runs: dict[tuple[str, str], SuiteRun]) -> None:
    expected = _observed(list(sqlite_runs.values()))
    got = _observed(other)
    assert got.keys() == expected.keys()
    for key, (result, value) in expected.items():
        assert got[key][0] == result, key
        assert got[key][1] == pytest.approx(value, abs=1e-6), key


def test_duckdb_gives_the_same_answers(
    duckdb_world: dict[str, str], small_suites: dict[str, Suite], sqlite_runs: dict[tuple[str, str], SuiteRun]
) -> None:
    runs = run_suites(list(small_suites.values()), duckdb_world)
    assert runs[0].warehouse.startswith("duckdb:///")
    _assert_same_results(runs, sqlite_runs)


@pytest.mark.postgres
def test_postgres_gives_the_same_answers(
    postgres_world: dict[str, str],
    small_suites: dict[str, Suite],
    sqlite_runs: dict[tuple[str, str], SuiteRun],
) -> None:
    runs = run_suites(list(small_suites.values()), postgres_world)
    assert runs[0].warehouse.startswith("postgresql+psycopg://")
    _assert_same_results(runs, sqlite_runs)


@pytest.mark.postgres
def test_postgres_enforces_the_statement_timeout(postgres_world: dict[str, str]) -> None:
    suite = _suite(
        "name: pg\nchecks:\n"
        " - {name: sleepy, table: olist_orders, description: d,\n"
        "    sql: 'SELECT COUNT(*) FROM (SELECT pg_sleep(5)) s'}\n"
        " - {name: after, table: olist_orders, sql: 'SELECT 0, COUNT(*) FROM olist_orders', description: d}\n"
    )
    sleepy, after = run_suite(
        suite, postgres_world["olist_dirty"], instance="olist_dirty", timeout_s=0.3
    ).results
    assert sleepy.result == "ERROR" and sleepy.error_kind == "timeout" and sleepy.duration_ms < 4000
    assert after.result == "SUCCESS" and after.row_count


def test_duckdb_statements_are_interrupted_at_the_timeout(duckdb_world: dict[str, str]) -> None:
    suite = _suite(
        "name: duck\nchecks:\n"
        " - {name: huge, table: olist_orders, description: d,\n"
        "    sql: 'SELECT COUNT(*) FROM range(100000000) a, range(100000) b WHERE a.range + b.range = 7'}\n"
        " - {name: after, table: olist_orders, sql: 'SELECT 0, COUNT(*) FROM olist_orders', description: d}\n"
    )
    huge, after = run_suite(suite, duckdb_world["olist_dirty"], instance="olist_dirty", timeout_s=0.3).results
    assert huge.result == "ERROR" and huge.error_kind == "timeout"
    assert after.result == "SUCCESS" and after.row_count
