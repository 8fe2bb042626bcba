"""The dbt world: a real dbt project built twice with dbt-duckdb, faults planted in between."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from oncall.cli import main
from oncall.errors import WorldExistsError
from oncall.world.dbt import build_dbt_world, load_dbt_summary
from oncall.world.dbt.data import FAULTS, TABLES, generate


def test_generation_is_deterministic() -> None:
    assert generate(7) == generate(7)
    assert generate(7) != generate(8)
    rows = generate(7)
    assert set(rows) == {t.name for t in TABLES}
    assert all(len(r) == len(t.columns) for t in TABLES for r in rows[t.name])


def test_passing_run_then_failing_run_then_fixed_run(dbt_world: Path) -> None:
    summary = load_dbt_summary(dbt_world)
    assert summary is not None
    passing, failing = summary.runs
    assert set(passing.tests) == {"pass"} and passing.tests["pass"] >= 30
    assert failing.tests["fail"] == len(FAULTS)  # each fault breaks exactly one test
    assert failing.tests["skipped"] > 0  # tests downstream of a failed test do not run
    assert all(summary.faults[f.name] > 0 for f in FAULTS)
    fixed = summary.recovery
    assert fixed is not None and fixed.tests == passing.tests  # the repair brings every test back
    results = [json.loads((Path(r.artifacts) / "run_results.json").read_text()) for r in (failing, fixed)]
    assert results[1]["metadata"]["generated_at"] > results[0]["metadata"]["generated_at"]


def test_artifacts_of_both_runs_and_their_recipes(dbt_world: Path) -> None:
    summary = load_dbt_summary(dbt_world)
    assert summary is not None
    assert summary.recovery is not None
    for run in [*summary.runs, summary.recovery]:
        folder = Path(run.artifacts)
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["metadata"]["dbt_schema_version"].endswith("/manifest/v12.json")
        assert manifest["metadata"]["send_anonymous_usage_stats"] is False
        assert (folder / "catalog.json").is_file()
        results = json.loads((folder / "run_results.json").read_text(encoding="utf-8"))
        assert results["metadata"]["invocation_id"]
        recipe = yaml.safe_load(Path(run.recipe).read_text(encoding="utf-8"))
        assert recipe["source"]["type"] == "dbt" and "sink" not in recipe
        assert Path(recipe["source"]["config"]["manifest_path"]).is_file()
    failing = json.loads((Path(summary.runs[1].artifacts) / "run_results.json").read_text(encoding="utf-8"))
    failed = {
        r["unique_id"].split(".")[2]: r["failures"] for r in failing["results"] if r["status"] == "fail"
    }
    assert failed["unique_stg_accounts_account_id"] == summary.faults["accounts_duplicated"]
    assert failed["not_null_stg_invoices_amount"] == summary.faults["invoices_amount_null"]


def test_the_schema_yml_carries_owners_and_descriptions(dbt_world: Path) -> None:
    summary = load_dbt_summary(dbt_world)
    assert summary is not None
    manifest = json.loads((Path(summary.runs[0].artifacts) / "manifest.json").read_text(encoding="utf-8"))
    models = [n for n in manifest["nodes"].values() if n["resource_type"] == "model"]
    assert len(models) == 13
    assert all(m["description"] and m["meta"].get("owner") for m in models)
    kinds = {n["test_metadata"]["name"] for n in manifest["nodes"].values() if n.get("test_metadata")}
    assert kinds == {"unique", "not_null", "accepted_values", "relationships"}


def test_an_existing_world_is_kept_without_force(dbt_world: Path) -> None:
    with pytest.raises(WorldExistsError, match="--force"):
        build_dbt_world(dbt_world)
    result = CliRunner().invoke(main, ["world", "dbt", "build", "--home", str(dbt_world)])
    assert result.exit_code == 2 and "--force" in result.output


def test_show_prints_the_runs(dbt_world: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["world", "dbt", "show", "--home", str(dbt_world)])
    assert result.exit_code == 0, result.output
    assert "run 2_fail: tests" in result.output and "accounts_duplicated" in result.output
    assert "run 3_fixed: tests" in result.output
    missing = CliRunner().invoke(main, ["world", "dbt", "show", "--home", str(tmp_path)])
    assert missing.exit_code == 2 and "oncall world dbt build" in missing.output
