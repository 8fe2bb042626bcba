"""`oncall assertions run|diff` through click, on real world files and real Lite catalogs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from oncall.cli import main
from oncall.world.build import WorldSummary


def _invoke(*args: str) -> Result:
    return CliRunner().invoke(main, ["assertions", *args], catch_exceptions=False)


@pytest.fixture
def world_copy(small_world: Path, tmp_path: Path) -> Path:
    home = tmp_path / "home"
    shutil.copytree(small_world, home)
    return home


def test_run_prints_the_kit_results(world_copy: Path, world_summary: WorldSummary) -> None:
    result = _invoke("run", "--suite", "kit", "--no-publish", "--home", str(world_copy))
    assert result.exit_code == 0, result.output
    failures = [line.split() for line in result.stdout.splitlines() if " FAILURE " in line]
    assert {(f[0], f[3]) for f in failures} == {
        ("olist_dirty", "seller_id_length_eq_32"),
        ("olist_dirty", f"row_count_eq_{world_summary.rows['olist_source']['olist_customers']}"),
        ("olist_dirty", "product_category_name_not_null"),
    }
    assert "olist_dirty kit: 8 passed, 3 failed, 0 errors" in result.stdout
    assert not (world_copy / "datahub.db").exists()


def test_run_json_for_one_instance(world_copy: Path) -> None:
    result = _invoke(
        "run",
        "--suite",
        "kit",
        "--instance",
        "olist_source",
        "--no-publish",
        "--json",
        "--home",
        str(world_copy),
    )
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    (run,) = data["runs"]
    assert run["instance"] == "olist_source" and len(run["results"]) == 11
    assert {r["result"] for r in run["results"]} == {"SUCCESS"} and data["published"] is None


def test_run_publishes_to_the_catalog(seeded_copy: Path) -> None:
    result = _invoke("run", "--suite", "kit", "--home", str(seeded_copy))
    assert result.exit_code == 0, result.output
    assert "published 22 assertions, 22 run events" in result.stdout


def test_run_without_a_catalog_fails_before_running(world_copy: Path) -> None:
    result = _invoke("run", "--suite", "kit", "--home", str(world_copy))
    assert result.exit_code == 2 and "DataHub Lite" in result.stderr and "FAILURE" not in result.stdout


def test_a_malformed_suite_file_exits_2_naming_the_field(world_copy: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nchecks: [{name: a, table: olist_orders, sql: 'SELECT 0'}]\n")
    result = _invoke("run", "--suite", str(bad), "--no-publish", "--home", str(world_copy))
    assert result.exit_code == 2 and "checks[0].description" in result.stderr


def test_errors_exit_1_with_a_summary_and_the_rest_still_runs(world_copy: Path, tmp_path: Path) -> None:
    suite = tmp_path / "mine.yaml"
    suite.write_text(
        "name: mine\nchecks:\n"
        " - {name: good, table: olist_orders, sql: 'SELECT 0, COUNT(*) FROM olist_orders', description: d}\n"
        " - {name: odd, table: olist_orders, field: colour, sql: 'SELECT COUNT(colour) FROM olist_orders',"
        " description: d}\n"
        " - {name: typo, table: olist_orders, sql: 'SELEC 1', description: d}\n"
    )
    result = _invoke("run", "--suite", str(suite), "--no-publish", "--home", str(world_copy))
    assert result.exit_code == 1
    assert "4 of 6 assertions could not be evaluated" in result.stderr
    assert "colour" in result.stderr and "syntax error" in result.stderr
    assert sum(" good " in line and "SUCCESS" in line for line in result.stdout.splitlines()) == 2


def test_an_unreachable_warehouse_exits_1(world_copy: Path) -> None:
    with ((world_copy) / "config.yaml").open("a", encoding="utf-8") as f:  # keep the demo's settings
        f.write("warehouses: {olist_dirty: 'postgresql://x@127.0.0.1:9/none'}\n")
    result = _invoke("run", "--suite", "kit", "--no-publish", "--home", str(world_copy))
    assert result.exit_code == 1 and "11 of 22 assertions could not be evaluated" in result.stderr
    assert "olist_source kit: 11 passed" in result.stdout


def test_diff_table_and_json(seeded_home: Path, world_summary: WorldSummary) -> None:
    table = _invoke("diff", "--home", str(seeded_home))
    assert table.exit_code == 0, table.output
    header = table.stdout.splitlines()[0].split()
    assert header == ["TABLE", "ASSERTION", "BY", "AGAINST", "OLIST_SOURCE", "OLIST_DIRTY", "VERDICT"]
    regressions = [line.split() for line in table.stdout.splitlines() if line.endswith("regression")]
    assert [
        "olist_order_items",
        "seller_id_length_eq_32",
        "oncall:kit",
        "twin",
        "SUCCESS",
        "0",
        "FAILURE",
        str(next(f.rows_touched for f in world_summary.faults if f.kind == "truncate")),
        "regression",
    ] in regressions
    data = json.loads(
        _invoke(
            "diff",
            "--baseline",
            "olist_source",
            "--production",
            "olist_dirty",
            "--json",
            "--home",
            str(seeded_home),
        ).stdout
    )
    assert {e["status"] for e in data} == {"regression", "unchanged"}
    assert len([e for e in data if e["status"] == "regression"]) == len(regressions)
    assert set(data[0]) >= {"dataset_urn", "assertion_urn", "native_type", "status", "baseline", "production"}


def test_diff_history_and_its_usage_error(seeded_home: Path) -> None:
    result = _invoke("diff", "--history", "--json", "--home", str(seeded_home))
    assert result.exit_code == 0
    # One run so far: what fails has never passed, so nothing can be called a regression yet.
    assert {e["status"] for e in json.loads(result.stdout)} == {"pre-existing", "unchanged"}
    clash = _invoke("diff", "--history", "--baseline", "olist_source", "--home", str(seeded_home))
    assert clash.exit_code == 2 and "--history" in clash.output


def test_help_shows_examples() -> None:
    for command in ("run", "diff"):
        result = _invoke(command, "--help")
        assert result.exit_code == 0 and "Examples:" in result.stdout and "oncall assertions" in result.stdout


def test_diff_exits_1_when_a_published_assertion_errored(seeded_copy: Path, tmp_path: Path) -> None:
    suite = tmp_path / "typo.yaml"
    suite.write_text(
        "name: typo\nchecks: [{name: typo, table: olist_orders, sql: 'SELEC 1', description: d}]\n"
    )
    ran = _invoke("run", "--suite", str(suite), "--home", str(seeded_copy))
    assert ran.exit_code == 1 and "published 2 assertions" in ran.stdout
    result = _invoke("diff", "--home", str(seeded_copy))
    assert result.exit_code == 1
    assert (
        "typo on urn:li:dataset:(urn:li:dataPlatform:sqlite,olist_dirty.main.olist_orders,PROD)"
        in result.stderr
    )
    assert any(line.split()[:2] == ["olist_orders", "typo"] for line in result.stdout.splitlines())


def test_diff_baseline_modes_and_clearing_the_instances(seeded_home: Path) -> None:
    def diff(*args: str) -> list[dict[str, object]]:
        result = _invoke("diff", *args, "--json", "--home", str(seeded_home))
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    twin = diff("--baseline", "twin")
    assert twin and {e["baseline_kind"] for e in twin} == {"twin"}
    history = diff("--baseline", "history")
    assert {e["baseline_kind"] for e in history} == {"history"} and len(history) == len(twin)
    # `--production ""`: every dataset is production, both instances' assertions are diffed;
    # `--baseline-instance ""`: no twin, so auto falls back to each assertion's history.
    everything = diff("--production", "", "--baseline-instance", "")
    assert len(everything) == 2 * len(twin) and {e["baseline_kind"] for e in everything} == {"history"}
    refused = _invoke("diff", "--baseline", "twin", "--baseline-instance", "", "--home", str(seeded_home))
    assert refused.exit_code == 2 and "baseline instance" in refused.stderr
