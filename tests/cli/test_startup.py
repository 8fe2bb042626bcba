"""`oncall --help` must not pay for DataHub, the model stack or the web server (a fresh interpreter each)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("datahub", "pydantic_ai", "fastapi", "sqlalchemy", "wordllama", "rapidfuzz", "numpy")

_IMPORT = "import oncall.cli"
_HELP = "from oncall.cli import main\nmain.main({args!r}, prog_name='oncall', standalone_mode=False)"


def _heavy_after(code: str) -> list[str]:
    probe = f"{code}\nimport json, sys\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_importing_the_cli_loads_no_heavy_library() -> None:
    assert _heavy_after(_IMPORT) == []


@pytest.mark.parametrize(
    "args", [["--help"], ["run", "--help"], ["demo", "--help"], ["catalog", "search", "--help"]]
)
def test_help_loads_no_heavy_library(args: list[str]) -> None:
    assert _heavy_after(_HELP.format(args=args)) == []


def test_the_probe_would_see_a_heavy_import() -> None:
    # Guards the guard: a command that does need DataHub shows up in the probe.
    assert "datahub" in _heavy_after(f"{_IMPORT}\nimport oncall.quality.publish")
