"""The package, its tests and benches type-check: mypy, configured by `[tool.mypy]` in pyproject.toml,
reports no error."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _cache_dir(pytestconfig: pytest.Config, tmp_path: Path) -> Path:
    # pytest's own cache (gitignored) keeps mypy warm between runs: ~8 s instead of ~70 s cold.
    cache = getattr(pytestconfig, "cache", None)
    return cache.mkdir("mypy") if cache is not None else tmp_path / "mypy"


def test_package_type_checks(pytestconfig: pytest.Config, tmp_path: Path) -> None:
    if importlib.util.find_spec("mypy") is None:
        pytest.skip("mypy is not installed; install the test extra: pip install -e '.[test]'")
    # No paths on the command line: `files` in pyproject.toml says what to check, as for a developer.
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(_cache_dir(pytestconfig, tmp_path))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, f"mypy found problems:\n{proc.stdout}{proc.stderr}"
    assert "Success" in proc.stdout, proc.stdout
