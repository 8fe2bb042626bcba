"""Benchmark of the CLI's startup: what a person waits for before `oncall` does anything.

    python bench/cli.py [--runs 5] [--src DIR] [--home DIR] [--json]

Prints the median wall time of `oncall --help` and of `oncall run --help` (each a fresh interpreter,
the console script's own code path), and of `import oncall.cli` alone, plus the heavy libraries that
import drags in (target: `oncall --help` < 0.5 s, none of datahub, pydantic_ai, fastapi, sqlalchemy).
With `--home` (a home where `oncall setup` ran) it also times `oncall run "revenue dashboard wrong"
--json --dry-run` end to end. `--src` points at another checkout's `src/` to compare before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HEAVY = ("datahub", "pydantic_ai", "fastapi", "sqlalchemy", "pydantic", "uvicorn", "httpx")
_ENTRY = "import sys; from oncall.cli import main; sys.argv[0] = 'oncall'; main()"
_PROBE = "import json, sys; import oncall.cli; print(json.dumps([m for m in {heavy!r} if m in sys.modules]))"


def _env(src: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src)
    return env


def _wall(args: list[str], env: dict[str, str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(args, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(src: Path | None, runs: int, home: Path | None = None) -> dict[str, object]:
    """Median seconds per command, and the heavy modules `import oncall.cli` loads."""
    env = _env(src)
    py = sys.executable
    probe = subprocess.run(
        [py, "-c", _PROBE.format(heavy=HEAVY)], env=env, check=True, capture_output=True, text=True
    )
    figures: dict[str, object] = {
        "python -c pass": _wall([py, "-c", "pass"], env, runs),
        "import oncall.cli": _wall([py, "-c", "import oncall.cli"], env, runs),
        "oncall --help": _wall([py, "-c", _ENTRY, "--help"], env, runs),
        "oncall run --help": _wall([py, "-c", _ENTRY, "run", "--help"], env, runs),
    }
    if home is not None:
        run = [py, "-c", _ENTRY, "run", "revenue dashboard wrong", "--json", "--dry-run", "--home", str(home)]
        figures["oncall run --json --dry-run"] = _wall(run, env, runs)
    figures["heavy modules imported"] = json.loads(probe.stdout)
    return figures


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per command (median reported)")
    parser.add_argument("--src", type=Path, default=None, help="a src/ folder to measure instead")
    parser.add_argument("--home", type=Path, default=None, help="a set-up home: also time a dry run")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()
    figures = measure(args.src, args.runs, args.home)
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    for name, value in figures.items():
        shown = f"{value:.3f} s" if isinstance(value, float) else ", ".join(value) or "none"  # type: ignore[arg-type]
        print(f"{name:<30} {shown}")


if __name__ == "__main__":
    main()
