"""Errors a person sees at 3 a.m.: one line saying what is wrong and what to do, the right exit code
(2 bad input or a skipped step, 1 something outside failed), no traceback, and nothing half-written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.cli._helpers import Outcome, invoke


def _one_clear_line(outcome: Outcome, code: int, *needles: str) -> str:
    assert outcome.code == code, outcome
    lines = outcome.err.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got: {outcome.err!r}"
    assert lines[0].startswith("Error: ") and "Traceback" not in outcome.err
    for needle in needles:
        assert needle in lines[0]
    assert outcome.out == ""  # stdout stays clean for scripts, even with --json
    return lines[0]


@pytest.mark.parametrize(
    ("args", "needle"),
    [(["world", "show"], "oncall world build"), (["world", "dbt", "show"], "oncall world dbt build")],
)
def test_showing_a_world_never_built_says_what_to_run(home: Path, args: list[str], needle: str) -> None:
    _one_clear_line(invoke(*args, "--home", str(home)), 2, "no ", "world is built", needle)


def test_run_before_setup(home: Path) -> None:
    _one_clear_line(
        invoke("run", "x", "--json", "--home", str(home)), 2, "no DataHub Lite catalog", "oncall setup"
    )
    assert list(home.iterdir()) == []  # not even an empty run history


def test_catalog_show_of_a_malformed_urn(seeded_home: Path) -> None:
    line = _one_clear_line(invoke("catalog", "show", "urn:li:dataset:nope", "--home", str(seeded_home)), 2)
    assert "'urn:li:dataset:nope'" in line and "expected e.g. urn:li:dataset:(" in line


def test_catalog_show_before_setup(home: Path) -> None:
    _one_clear_line(invoke("catalog", "show", "urn:li:dataset:nope", "--home", str(home)), 2, "oncall setup")


def test_world_build_when_a_world_exists(small_world: Path, home: Path) -> None:
    shutil.copytree(small_world, home, dirs_exist_ok=True)
    before = {p.name: p.stat().st_mtime_ns for p in home.iterdir()}
    outcome = invoke("world", "build", "--scale", "0.02", "--home", str(home))
    _one_clear_line(outcome, 2, "already built", "--force")
    assert {p.name: p.stat().st_mtime_ns for p in home.iterdir()} == before


def test_assertions_diff_before_setup(home: Path) -> None:
    _one_clear_line(invoke("assertions", "diff", "--json", "--home", str(home)), 2, "oncall setup")


@pytest.mark.timeout(60)  # if the refusal ever broke, the server would block until this fires
def test_serve_beyond_loopback_without_a_token(home: Path) -> None:
    outcome = invoke("serve", "--host", "0.0.0.0", "--port", "0", "--home", str(home))
    _one_clear_line(outcome, 2, "0.0.0.0", "--token", "ONCALL_TOKEN")


@pytest.mark.parametrize(
    ("text", "needles"),
    [
        ("catalog: [lite\n", ("config.yaml: not valid YAML at line 2", "fix or delete the file")),
        ("catalog: lite\n  llm: x: y\n", ("not valid YAML at line 2, column 6",)),
        ("- catalog\n", ("expected a mapping of settings",)),
        ("catalogue: lite\n", ("unknown setting(s) catalogue", "known: ")),
        ("catalog: datahub\n", ("catalog must be 'lite' or 'gms'",)),
    ],
)
def test_a_malformed_config_file(home: Path, text: str, needles: tuple[str, ...]) -> None:
    (home / "config.yaml").write_text(text)
    _one_clear_line(invoke("world", "show", "--home", str(home)), 2, *needles)


@pytest.mark.parametrize("args", [["catalog", "search", "revenue"], ["run", "revenue dashboard wrong"]])
def test_gms_catalog_without_a_url(home: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]) -> None:
    monkeypatch.setenv("ONCALL_CATALOG", "gms")
    _one_clear_line(invoke(*args, "--home", str(home)), 2, "catalog is 'gms'", "DATAHUB_GMS_URL")


def test_nebius_without_its_api_key(seeded_copy: Path) -> None:
    runs_before = sorted((seeded_copy / "runs").glob("*")) if (seeded_copy / "runs").exists() else []
    outcome = invoke(
        "run", "revenue dashboard wrong", "--llm", "nebius", "--json", "--home", str(seeded_copy)
    )
    _one_clear_line(outcome, 2, "NEBIUS_API_KEY", "--llm offline")
    runs_after = sorted((seeded_copy / "runs").glob("*")) if (seeded_copy / "runs").exists() else []
    assert runs_after == runs_before  # a refused run leaves no trace in the history


def test_an_unreachable_gms_is_a_runtime_failure(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONCALL_CATALOG", "gms")
    monkeypatch.setenv("DATAHUB_GMS_URL", "http://127.0.0.1:9")
    _one_clear_line(
        invoke("catalog", "search", "revenue", "--home", str(home)), 1, "cannot reach DataHub GMS"
    )


def test_an_empty_datahub_file_says_to_run_setup_and_stays_empty(seeded_copy: Path) -> None:
    # SQLite takes a 0-byte file for a new database: it must not become a fresh, empty catalog
    lite = seeded_copy / "datahub.db"
    lite.write_bytes(b"")
    for args in (["run", "revenue dashboard wrong"], ["reset"], ["catalog", "search", "revenue"]):
        _one_clear_line(invoke(*args, "--home", str(seeded_copy)), 2, "empty (0 bytes)", "oncall setup")
    assert lite.stat().st_size == 0


def test_a_read_only_run_history_is_one_line_naming_the_path(seeded_copy: Path) -> None:
    # sysfs refuses new files even to root (file modes would not stop root, who runs CI)
    target = Path("/sys/kernel")
    if not target.is_dir():
        pytest.skip("needs Linux sysfs for a folder no user may write to")
    shutil.rmtree(seeded_copy / "runs", ignore_errors=True)
    (seeded_copy / "runs").symlink_to(target)
    for extra in ([], ["--dry-run"]):
        outcome = invoke("run", "revenue dashboard wrong", *extra, "--home", str(seeded_copy))
        line = _one_clear_line(outcome, 1, "Permission denied")
        assert str(seeded_copy / "runs") in line


def test_a_config_file_that_is_not_utf8_is_one_line(home: Path) -> None:
    (home / "config.yaml").write_bytes(b"catalog: lite\n# caf\xe9\n")
    _one_clear_line(invoke("catalog", "ping", "--home", str(home)), 2, "config.yaml", "not UTF-8", "UTF-8")
