"""`oncall ingest RECIPE`: DataHub's framework into real Lite files, bad recipes, patches, idempotence."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from oncall.catalog.lite import LiteCatalog
from oncall.catalog.recipes import RecipeError, apply_patch, run_recipe
from oncall.cli import main
from oncall.config import load_config
from oncall.errors import CatalogError
from oncall.world.dbt import load_dbt_summary

DBT = "urn:li:dataPlatform:dbt"
DUCKDB = "urn:li:dataPlatform:duckdb"


def _ds(platform: str, name: str) -> str:
    return f"urn:li:dataset:({platform},warehouse.{name},PROD)"


def _current(lite: Path) -> dict[tuple[str, str], Any]:
    """Every current aspect of a Lite file (version 0), as stored."""
    with sqlite3.connect(lite) as conn:
        rows = conn.execute("SELECT urn, aspect_name, metadata FROM metadata_aspect_v2 WHERE version = 0")
        return {(u, a): json.loads(m) for u, a, m in rows}


def _write(path: Path, recipe: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(recipe), encoding="utf-8")
    return path


# -------------------------------------------------------------------------------- patch semantics


def test_patch_adds_keyed_upstreams_and_keeps_the_others() -> None:
    current = {"upstreams": [{"dataset": "urn:a", "type": "COPY"}]}
    ops = [{"op": "add", "path": "/upstreams/urn:b", "value": {"dataset": "urn:b", "type": "TRANSFORMED"}}]
    got = apply_patch(current, ops, {"upstreams", "fineGrainedLineages"})
    assert [u["dataset"] for u in got["upstreams"]] == ["urn:a", "urn:b"]
    again = apply_patch(got, ops, {"upstreams"})
    assert again == got  # re-applying a patch changes nothing


def test_patch_escaped_urn_paths_remove_and_plain_fields() -> None:
    ops: list[dict[str, Any]] = [
        {"op": "add", "path": "/siblings/urn:li:x~1y", "value": "urn:li:x/y"},
        {"op": "add", "path": "/primary", "value": False},
    ]
    got = apply_patch(None, ops, {"siblings"})
    assert got == {"siblings": ["urn:li:x/y"], "primary": False}
    removed = apply_patch(got, [{"op": "remove", "path": "/siblings/urn:li:x~1y"}], {"siblings"})
    assert removed["siblings"] == []


def test_patch_fine_grained_lineage_round_trips_through_the_template() -> None:
    down, up = "urn:li:schemaField:(urn:d,c)", "urn:li:schemaField:(urn:u,c)"
    ops = [
        {
            "op": "add",
            "path": f"/fineGrainedLineages/NONE/{down}/NONE/{up}",
            "value": {"confidenceScore": 1.0},
        }
    ]
    got = apply_patch({}, ops, {"upstreams", "fineGrainedLineages"})
    assert got["fineGrainedLineages"] == [
        {
            "upstreamType": "FIELD_SET",
            "upstreams": [up],
            "downstreamType": "FIELD",
            "downstreams": [down],
            "confidenceScore": 1.0,
        }
    ]
    assert apply_patch(got, ops, {"fineGrainedLineages"}) == got


def test_patch_rejects_an_unknown_operation() -> None:
    with pytest.raises(ValueError, match="move"):
        apply_patch({}, [{"op": "move", "path": "/a", "from": "/b"}], set())


# ------------------------------------------------------------------------------------- bad recipes


def _bad(tmp_path: Path, recipe: dict[str, Any]) -> str:
    """Run a bad recipe through the CLI: exit 2, one line naming the problem, no Lite file written."""
    home = tmp_path / "home"
    path = _write(tmp_path / "bad.yml", recipe)
    result = CliRunner().invoke(main, ["ingest", "--home", str(home), str(path)])
    assert result.exit_code == 2, result.output
    assert not (home / "datahub.db").exists()
    lines = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1, result.output
    return lines[0]


def _dbt_config(tmp_path: Path, **extra: Any) -> dict[str, Any]:
    return {"manifest_path": str(tmp_path / "manifest.json"), "target_platform": "duckdb", **extra}


def test_unknown_source_type_names_the_field(tmp_path: Path) -> None:
    line = _bad(tmp_path, {"source": {"type": "dbtt", "config": {}}})
    assert "source.type" in line and "dbtt" in line


def test_missing_source_and_unknown_top_level_field(tmp_path: Path) -> None:
    assert "source.type is missing" in _bad(tmp_path, {"sink": {"type": "console"}})
    assert "'sorce'" in _bad(tmp_path, {"sorce": {}, "source": {"type": "dbt"}})


def test_missing_required_dbt_field_is_named(tmp_path: Path) -> None:
    line = _bad(tmp_path, {"source": {"type": "dbt", "config": {"target_platform": "duckdb"}}})
    assert "source.config.manifest_path" in line


def test_missing_dbt_artifact_is_named(tmp_path: Path) -> None:
    line = _bad(tmp_path, {"source": {"type": "dbt", "config": _dbt_config(tmp_path)}})
    assert "source.config.manifest_path" in line and "does not exist" in line


def test_unsupported_dbt_schema_version_is_refused(tmp_path: Path) -> None:
    manifest = {"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v99.json"}}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    line = _bad(tmp_path, {"source": {"type": "dbt", "config": _dbt_config(tmp_path)}})
    assert "source.config.manifest_path" in line and "v99" in line and "v4-v12" in line


def test_a_catalog_passed_as_the_manifest_is_refused(tmp_path: Path) -> None:
    catalog = {"metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/catalog/v1.json"}}
    (tmp_path / "manifest.json").write_text(json.dumps(catalog), encoding="utf-8")
    line = _bad(tmp_path, {"source": {"type": "dbt", "config": _dbt_config(tmp_path)}})
    assert "is not a dbt manifest file" in line


def test_patch_write_semantics_on_lite_is_refused(tmp_path: Path) -> None:
    config = _dbt_config(tmp_path, write_semantics="PATCH")
    line = _bad(tmp_path, {"source": {"type": "dbt", "config": config}})
    assert "source.config.write_semantics" in line


def test_unreadable_recipe(tmp_path: Path) -> None:
    home = tmp_path / "home"
    path = tmp_path / "r.yml"
    path.write_text("source: [unclosed", encoding="utf-8")
    result = CliRunner().invoke(main, ["ingest", "--home", str(home), str(path)])
    assert result.exit_code == 2 and "cannot be read" in result.output
    missing = CliRunner().invoke(main, ["ingest", "--home", str(home), str(tmp_path / "nope.yml")])
    assert missing.exit_code == 2 and "does not exist" in missing.output


def test_a_failing_source_leaves_the_lite_file_as_it_was(dbt_lite_copy: Path, tmp_path: Path) -> None:
    lite = dbt_lite_copy / "datahub.db"
    before = _current(lite)
    broken = tmp_path / "broken.json"
    broken.write_text("[{not json", encoding="utf-8")
    recipe = _write(tmp_path / "file.yml", {"source": {"type": "file", "config": {"path": str(broken)}}})
    with pytest.raises(CatalogError, match="nothing was written"):
        run_recipe(load_config(dbt_lite_copy, environ={}), recipe)
    assert _current(lite) == before
    assert not [p.name for p in dbt_lite_copy.iterdir() if "tmp" in p.name]  # no temp file left


# --------------------------------------------------------------------------------- real ingestion


def test_dbt_ingest_applies_the_patches_the_lite_sink_drops(dbt_lite: Path) -> None:
    import datahub.metadata.schema_classes as m

    with LiteCatalog(dbt_lite / "datahub.db", read_only=True) as catalog:
        table = _ds(DUCKDB, "main.fct_mrr")
        # The warehouse table's lineage came as a PATCH only: it is there, pointing at its model.
        lineage = catalog.get_aspect(table, m.UpstreamLineageClass)
        assert lineage is not None
        assert [u.dataset for u in lineage.upstreams] == [_ds(DBT, "main.fct_mrr")]
        assert lineage.fineGrainedLineages  # the column-level part of the patch too
        reached = {n.ref.urn for n in catalog.lineage(table, direction="upstream")}
        # ... so the walk from the table goes on through the models to the raw table.
        assert reached & {_ds(DBT, "raw.subscriptions"), _ds(DUCKDB, "raw.subscriptions")}


def test_dbt_ingest_links_siblings_both_ways(dbt_lite: Path) -> None:
    import datahub.metadata.schema_classes as m

    with LiteCatalog(dbt_lite / "datahub.db", read_only=True) as catalog:
        model, table = _ds(DBT, "main.stg_accounts"), _ds(DUCKDB, "main.stg_accounts")
        a, b = catalog.get_aspect(model, m.SiblingsClass), catalog.get_aspect(table, m.SiblingsClass)
        assert a is not None and b is not None
        assert a.siblings == [table] and a.primary is True
        assert b.siblings == [model] and b.primary is False
        source, raw = _ds(DBT, "raw.accounts"), _ds(DUCKDB, "raw.accounts")
        of_raw = catalog.get_aspect(raw, m.SiblingsClass)
        assert of_raw is not None and of_raw.primary is True  # a source: the table is primary
        of_source = catalog.get_aspect(source, m.SiblingsClass)
        assert of_source is not None and of_source.siblings == [raw]


def test_each_dbt_test_has_the_history_of_both_runs(dbt_lite: Path) -> None:
    with LiteCatalog(dbt_lite / "datahub.db", read_only=True) as catalog:
        runs = {
            a.urn: [r.result for r in a.runs]
            for model in ("main.stg_accounts", "main.stg_subscriptions", "main.dim_accounts")
            for a in catalog.assertions(_ds(DBT, model))
        }
    assert runs and all(r[-1] == "SUCCESS" for r in runs.values())  # the oldest run passed
    latest = [r[0] for r in runs.values() if len(r) == 2]
    assert latest.count("FAILURE") == 2  # unique account_id, relationships plan_id
    assert any(len(r) == 1 for r in runs.values())  # dim_accounts' tests were skipped in the failing run


def test_ingest_summary_and_json(dbt_world: Path, tmp_path: Path) -> None:
    summary = load_dbt_summary(dbt_world)
    assert summary is not None
    home = tmp_path / "home"
    result = CliRunner().invoke(main, ["ingest", "--home", str(home), "--json", summary.runs[0].recipe])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["source"] == "dbt" and data["backend"] == "lite" and data["failures"] == []
    assert data["patches"] == 13  # one lineage patch per model's warehouse table
    assert data["siblings"] == 19  # 13 models + 6 sources
    assert data["entities"] > 19 and data["aspects"] > data["entities"]
    assert any("convert_urns_to_lowercase" in w for w in data["warnings"])


def test_re_ingesting_a_recipe_changes_nothing(dbt_world: Path, dbt_lite_copy: Path) -> None:
    summary = load_dbt_summary(dbt_world)
    assert summary is not None
    lite = dbt_lite_copy / "datahub.db"
    with sqlite3.connect(lite) as conn:
        versions = conn.execute("SELECT count(*) FROM metadata_aspect_v2").fetchone()[0]
    before = _current(lite)
    run_recipe(load_config(dbt_lite_copy, environ={}), Path(summary.runs[1].recipe))
    after = _current(lite)
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    # DataHub stamps query and run-instance aspects with the ingestion time; nothing else may move.
    assert {a for _u, a in changed} <= {"queryProperties", "dataProcessInstanceRunEvent"}, sorted(changed)[:5]
    with sqlite3.connect(lite) as conn:
        events = conn.execute(
            "SELECT count(*) FROM metadata_aspect_v2 WHERE aspect_name = 'assertionRunEvent' AND version > 0"
        ).fetchone()[0]
        assert conn.execute("SELECT count(*) FROM metadata_aspect_v2").fetchone()[0] - versions < 50
    with LiteCatalog(lite, read_only=True) as catalog:
        tests = catalog.assertions(_ds(DBT, "main.stg_accounts"), history=10)
    # Each test ran once per dbt run (pass, then fail): re-ingesting added no duplicate run event.
    assert tests and events > 0 and all(len(a.runs) == 2 for a in tests), [len(a.runs) for a in tests]


def test_a_file_recipe_ingests_too(tmp_path: Path) -> None:
    import datahub.metadata.schema_classes as m
    from datahub.emitter.mcp import MetadataChangeProposalWrapper

    urn = "urn:li:dataset:(urn:li:dataPlatform:snowflake,analytics.public.orders,PROD)"
    mcp = MetadataChangeProposalWrapper(entityUrn=urn, aspect=m.DatasetPropertiesClass(name="orders"))
    (tmp_path / "mcps.json").write_text(json.dumps([mcp.to_obj()]), encoding="utf-8")
    recipe = _write(
        tmp_path / "file.yml", {"source": {"type": "file", "config": {"path": str(tmp_path / "mcps.json")}}}
    )
    home = tmp_path / "home"
    summary = run_recipe(load_config(home, environ={}), recipe)
    assert summary.entities == 1 and summary.patches == 0
    with LiteCatalog(home / "datahub.db", read_only=True) as catalog:
        assert catalog.get(urn).name == "orders"


def test_a_bad_recipe_raises_before_anything_runs(tmp_path: Path) -> None:
    recipe = _write(tmp_path / "r.yml", {"source": {"type": "file", "config": {"path": 3, "bogus": 1}}})
    with pytest.raises(RecipeError, match=r"source\.config\."):
        run_recipe(load_config(tmp_path / "home", environ={}), recipe)


def test_a_recipe_into_gms_goes_through_datahub_rest(empty_standin: Any, tmp_path: Path) -> None:
    import datahub.metadata.schema_classes as m
    from datahub.emitter.mcp import MetadataChangeProposalWrapper
    from datahub.specific.dataset import DatasetPatchBuilder

    urn = "urn:li:dataset:(urn:li:dataPlatform:snowflake,analytics.public.orders,PROD)"
    upsert = MetadataChangeProposalWrapper(entityUrn=urn, aspect=m.DatasetPropertiesClass(name="orders"))
    patch = DatasetPatchBuilder(urn).add_tag(m.TagAssociationClass(tag="urn:li:tag:pii")).build()
    records = [upsert.to_obj(), *(p.to_obj() for p in patch)]
    (tmp_path / "mcps.json").write_text(json.dumps(records), encoding="utf-8")
    recipe = _write(
        tmp_path / "file.yml", {"source": {"type": "file", "config": {"path": str(tmp_path / "mcps.json")}}}
    )
    env = {"ONCALL_CATALOG": "gms", "DATAHUB_GMS_URL": empty_standin.url}
    summary = run_recipe(load_config(tmp_path / "home", environ=env), recipe)
    assert summary.backend == "gms" and summary.location == empty_standin.url
    sent = [(p["entityUrn"], p["aspectName"], p["changeType"]) for p in empty_standin.proposals]
    assert (urn, "datasetProperties", "UPSERT") in sent
    assert (urn, "globalTags", "PATCH") in sent  # the server applies patches itself
    assert not (tmp_path / "home" / "datahub.db").exists()
