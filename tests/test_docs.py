"""The docs say what the code does: README test command = CI's, settings table = SETTINGS, commands.

Regenerate the settings table with `python tests/test_docs.py --write`.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
BEGIN = "<!-- settings-table: generated from oncall.config.SETTINGS; tests/test_docs.py keeps it in sync -->"
END = "<!-- /settings-table -->"


def settings_table() -> str:
    from oncall.config import SETTINGS

    rows = ["| setting | env | default | meaning |", "|---|---|---|---|"]
    for s in SETTINGS:
        default = "" if s.default in (None, {}, "") else f"`{s.default}`"
        env = f"`{s.env}`" if s.env else ""
        rows.append(f"| `{s.name}` | {env} | {default} | {s.help.replace('|', '/')} |")
    return "\n".join(rows)


def _readme_table(text: str) -> str:
    start = text.index(BEGIN) + len(BEGIN)
    return text[start : text.index(END)].strip()


def test_readme_settings_table_matches_code() -> None:
    assert _readme_table(README.read_text()) == settings_table(), (
        "README settings table is stale: run `python tests/test_docs.py --write`"
    )


def _fenced_commands(text: str) -> list[str]:
    return re.findall(r"```bash\n(.*?)\n```", text, flags=re.S)


def test_ci_runs_the_readme_test_command() -> None:
    readme = README.read_text()
    quickstart = readme[readme.index("## Quickstart") : readme.index("## What a run does")]
    blocks = _fenced_commands(quickstart)
    assert len(blocks) == 2, "the Quickstart has exactly two commands: the main job and the tests"
    test_command = blocks[1].strip()
    ci = (ROOT / ".ci" / "run").read_text()
    assert test_command in ci.splitlines(), f".ci/run must call the README test command: {test_command}"


def test_every_cli_command_is_in_the_readme() -> None:
    import click

    from oncall.cli import main

    readme = README.read_text()
    names: list[str] = []
    for name, cmd in main.commands.items():
        if isinstance(cmd, click.Group):
            names += [f"oncall {name} {sub}" for sub in cmd.commands]
        else:
            names.append(f"oncall {name}")
    missing = [n for n in names if n not in readme and not _in_combined_row(n, readme)]
    assert not missing, f"commands missing from the README: {missing}"


def _in_combined_row(name: str, readme: str) -> bool:
    # `oncall catalog search TEXT` / `show URN` rows list subcommands after the first one.
    *_, sub = name.split()
    group = " ".join(name.split()[:2])
    return any(group in line and (f"`{sub} " in line or f"`{sub}`" in line) for line in readme.splitlines())


def test_readme_fault_spec_example_applies(small_world: Path, tmp_path: Path) -> None:
    import shutil
    import sqlite3

    import yaml

    from oncall.world.faults import apply_faults, parse_spec

    blocks = re.findall(r"```yaml\n(.*?)\n```", README.read_text(), flags=re.S)
    assert blocks, "the README shows a fault spec example"
    spec = parse_spec(yaml.safe_load(blocks[0]), source="README.md")
    db = tmp_path / "prod.db"
    shutil.copy(small_world / "olist_source.db", db)
    with sqlite3.connect(db) as conn:
        results = apply_faults(conn, spec)
    assert [r.rows_touched > 0 for r in results] == [True] * len(spec.faults)


def test_readme_model_config_example_resolves(home: Path) -> None:
    from oncall.config import load_config
    from oncall.llm.roles import resolve_endpoints

    block = re.findall(r"```yaml\n(.*?)\n```", README.read_text(), flags=re.S)[1]
    (home / "config.yaml").write_text(block)
    endpoints = resolve_endpoints(load_config(home, environ={"NEBIUS_API_KEY": "k"}), None)
    detective, coordinator = endpoints["detective"], endpoints["coordinator"]
    assert detective is not None and detective.model == "my-lora"
    assert detective.base_url.startswith("http://127.0.0.1")
    assert coordinator is not None and coordinator.model == "moonshotai/Kimi-K2-Thinking"


def test_readme_scenario_example_loads(tmp_path: Path) -> None:
    from oncall.eval.scenarios import load_scenarios

    block = re.findall(r"```yaml\n(.*?)\n```", README.read_text(), flags=re.S)[2]
    (tmp_path / "example.yaml").write_text(block)
    (scenario,) = load_scenarios(tmp_path / "example.yaml")
    assert scenario.name == "pay-review-scores"


if __name__ == "__main__" and "--write" in sys.argv:
    text = README.read_text()
    start = text.index(BEGIN) + len(BEGIN)
    README.write_text(text[:start] + "\n" + settings_table() + "\n" + text[text.index(END) :])
    print("README settings table updated")
