"""The `oncall catalog ...` and `oncall setup` commands, through click's runner on real homes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

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


def test_gms_unreachable_from_the_cli(home: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
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
