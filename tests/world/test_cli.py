"""`oncall world build|show` through click's CliRunner: output, JSON, exit codes, --force."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from oncall.cli import main
from oncall.world.build import MANIFEST, SOURCE_DB

SMALL = ["--scale", "0.005", "--seed", "3"]


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_build_prints_progress_on_stderr_and_the_summary_on_stdout(home: Path) -> None:
    code, out, err = run("world", "build", *SMALL, "--home", str(home))
    assert code == 0, err
    assert "generating the clean world" in err and "olist_orders:" in err
    assert "olist_source" in out and "olist_dirty" in out
    assert "faults (kit):" in out
    assert "truncate       olist_order_items.seller_id" in out
    customers = next(line for line in out.splitlines() if line.startswith("olist_customers"))
    before, after, change = customers.split()[1:4]
    assert int(before.replace(",", "")) - int(after.replace(",", "")) == -int(change.replace(",", ""))
    assert (home / SOURCE_DB).is_file()


def test_json_output_is_the_summary_and_show_repeats_it(home: Path) -> None:
    code, out, _ = run("world", "build", *SMALL, "--home", str(home), "--json")
    assert code == 0
    built = json.loads(out)
    assert built["seed"] == 3 and built["fault_spec"] == "kit"
    assert [f["rows_touched"] > 0 for f in built["faults"]] == [True, True, True]
    code, out, _ = run("world", "show", "--home", str(home), "--json")
    assert code == 0 and json.loads(out) == built
    code, out, _ = run("world", "show", "--home", str(home))
    assert code == 0 and "faults (kit):" in out


def test_rebuild_needs_force(home: Path) -> None:
    assert run("world", "build", *SMALL, "--home", str(home))[0] == 0
    before = (home / MANIFEST).read_text()
    code, _, err = run("world", "build", *SMALL, "--home", str(home))
    assert code == 2
    assert "already built" in err and "--force" in err
    assert (home / MANIFEST).read_text() == before
    code, _, _ = run("world", "build", "--scale", "0.005", "--seed", "4", "--home", str(home), "--force")
    assert code == 0
    assert json.loads((home / MANIFEST).read_text())["seed"] == 4


def test_bad_fault_spec_exits_2_naming_the_field(home: Path, tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: x\nfaults:\n  - {table: olist_orders, kind: melt, count: 1}\n")
    code, _, err = run("world", "build", *SMALL, "--faults", str(spec), "--home", str(home))
    assert code == 2
    assert "faults[0].kind: unknown kind 'melt'" in err
    assert list(home.iterdir()) == []


def test_bad_csv_folder_exits_2(home: Path, tmp_path: Path) -> None:
    code, _, err = run("world", "build", "--from-csv", str(tmp_path / "nope"), "--home", str(home))
    assert code == 2 and "not a readable folder" in err


def test_show_without_a_world_exits_2(home: Path) -> None:
    code, _, err = run("world", "show", "--home", str(home))
    assert code == 2 and "oncall world build" in err


def test_help_teaches_with_examples() -> None:
    code, out, _ = run("world", "build", "--help")
    assert code == 0
    for flag in (
        "--scale",
        "--seed",
        "--faults",
        "--geolocation-rows",
        "--from-csv",
        "--from-kit-db",
        "--force",
    ):
        assert flag in out
    assert "Examples:" in out and "oncall world build --from-kit-db olist.db olist_dirty.db" in out
