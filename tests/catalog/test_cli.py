"""The `oncall catalog ...` and `oncall setup` commands, through click's runner on real homes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import graphql
import pytest
from click.testing import CliRunner

from oncall.cli import main
from oncall.world.urns import dashboard_urn, dataset_urn

REVENUE = dashboard_urn("olist_dirty", "revenue")


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_search_json(seeded_home: Path) -> None:
    code, out, _ = _run(
        "catalog",
        "search",
        "revenue dashboard",
        "--instance",
        "olist_dirty",
        "--home",
        str(seeded_home),
        "--json",
    )
    hits = json.loads(out)
    assert code == 0 and hits[0]["ref"]["urn"] == REVENUE and hits[0]["reasons"]
    code, out, _ = _run(
        "catalog", "search", "revenue", "--type", "chart", "--home", str(seeded_home), "--json"
    )
    assert {h["ref"]["type"] for h in json.loads(out)} == {"chart"}


def test_search_text_output_explains(seeded_home: Path) -> None:
    code, out, _ = _run("catalog", "search", "seller", "--limit", "3", "--home", str(seeded_home))
    assert code == 0 and out.count("why:") == 3


def test_show_and_lineage(seeded_home: Path) -> None:
    code, out, _ = _run("catalog", "show", REVENUE, "--home", str(seeded_home))
    assert code == 0 and "Revenue" in out and "inputs:" in out
    items = dataset_urn("olist_dirty", "olist_order_items")
    code, out, _ = _run(
        "catalog", "lineage", items, "--downstream", "--hops", "1", "--home", str(seeded_home), "--json"
    )
    nodes = json.loads(out)
    assert code == 0 and nodes and {n["hops"] for n in nodes} == {1}
    assert all(n["path"][0] == items for n in nodes)


def test_ping(seeded_home: Path) -> None:
    code, out, _ = _run("catalog", "ping", "--home", str(seeded_home), "--json")
    info = json.loads(out)
    assert code == 0 and info["ok"] and info["backend"] == "lite" and "acryl-datahub" in info["version"]


def test_errors_have_messages_and_exit_codes(seeded_home: Path, home: Path) -> None:
    code, _, err = _run("catalog", "show", dataset_urn("olist_dirty", "nope"), "--home", str(seeded_home))
    assert code == 2 and "not in the catalog" in err
    code, _, err = _run("catalog", "show", "olist_orders", "--home", str(seeded_home))
    assert code == 2 and "not a dataset, chart or dashboard URN" in err
    code, _, err = _run("catalog", "search", "x", "--home", str(home))
    assert code == 2 and "run `oncall setup` first" in err  # a missing step, like `oncall run`


def test_gms_unreachable_from_the_cli(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONCALL_CATALOG", "gms")
    monkeypatch.setenv("DATAHUB_GMS_URL", "http://127.0.0.1:9")
    code, _, err = _run("catalog", "ping", "--home", str(home))
    assert code == 1 and "does not answer" in err and "cannot reach DataHub GMS" in err
    code, out, _ = _run("catalog", "ping", "--home", str(home), "--json")
    assert code == 1 and json.loads(out)["ok"] is False


def test_setup_command_json(small_world: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(small_world, home)
    code, out, err = _run("setup", "--home", str(home), "--json")
    summary = json.loads(out)
    assert code == 0 and not summary["world_built"] and summary["ingest"]["backend"] == "lite"
    assert "catalog:" in err  # progress goes to stderr, JSON alone on stdout
    code, _, err = _run("setup", "--home", str(home), "--scale", "0.5")
    assert code == 2 and "--force" in err


def _home_with(lite_file: Path, home: Path) -> Path:
    """A home whose embedded catalog is `lite_file` (copied): a catalog `oncall setup` never wrote."""
    home.mkdir()
    shutil.copyfile(lite_file, home / "datahub.db")
    return home


def test_index_builds_the_semantic_index_of_a_catalog_filled_elsewhere(
    multiplatform_lite: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The multi-platform catalog (not the demo), indexed by the command, is the index a run takes as
    current: no rebuild, every entity of the catalog in it."""
    from oncall.catalog import vectors
    from oncall.catalog.lite import LiteCatalog

    home = _home_with(multiplatform_lite, tmp_path / "home")
    code, out, err = _run("catalog", "index", "--home", str(home), "--json")
    assert code == 0, err
    summary = json.loads(out)
    catalog = LiteCatalog(home / "datahub.db", read_only=True)
    try:
        listed = catalog.list_urns()
        assert summary["backend"] == "lite" and summary["entities"] == len(listed) > 10
        assert summary["words"] > 0 and Path(summary["directory"]) == home / "vectors" / "lite"
        vectors._cache.clear()  # a later process: only what is on disk

        def no_rebuild(*_a: object, **_k: object) -> None:
            raise AssertionError("the stored index should have been taken as current")

        monkeypatch.setattr(vectors, "refresh", no_rebuild)
        index = vectors.ensure_index(catalog, home / "vectors" / "lite")
    finally:
        catalog.close()
    assert sorted(index.urns) == sorted(listed) and not index.stale
    assert "vectors:" in err  # progress on stderr, the JSON alone on stdout
    shown = _run("catalog", "index", "--help")[1].replace("\n", " ")
    assert f"only up to {vectors.LAZY_REBUILD_LIMIT:,} entities" in " ".join(shown.split())


def test_index_reads_a_gms_server(
    datahub_schema: graphql.GraphQLSchema, multiplatform_lite: Path, tmp_path: Path
) -> None:
    """On GMS the index is built from the server's pages, and holds what the same catalog in Lite does."""
    from oncall.catalog.vectors import SemanticIndex
    from tests.catalog.gms_standin import GmsStandin, Store

    lite_home = _home_with(multiplatform_lite, tmp_path / "lite")
    assert _run("catalog", "index", "--home", str(lite_home))[0] == 0
    with GmsStandin(datahub_schema, Store.from_lite(multiplatform_lite)) as server:
        env = {"ONCALL_CATALOG": "gms", "DATAHUB_GMS_URL": server.url}
        result = CliRunner(env=env).invoke(
            main, ["catalog", "index", "--home", str(tmp_path / "gms")], catch_exceptions=False
        )
    assert result.exit_code == 0, result.stderr
    assert "Semantic index of the gms catalog" in result.stdout
    from_gms = SemanticIndex.load(tmp_path / "gms" / "vectors" / "gms")
    from_lite = SemanticIndex.load(lite_home / "vectors" / "lite")
    assert from_gms is not None and from_lite is not None
    assert sorted(from_gms.urns) == sorted(from_lite.urns)


def test_index_that_cannot_be_stored_fails_naming_the_path(multiplatform_lite: Path, tmp_path: Path) -> None:
    home = _home_with(multiplatform_lite, tmp_path / "home")
    (home / "vectors").write_text("not a folder", encoding="utf-8")
    code, out, err = _run("catalog", "index", "--home", str(home))
    assert code == 1 and out == ""
    assert err.startswith("Error: ") and str(home / "vectors") in err and "Traceback" not in err
