"""Benchmark of `oncall ingest` on the dbt world: both runs' artifacts into a fresh DataHub Lite file.

    python bench/ingest_dbt.py [--reps 3] [--json]

Builds the dbt world once (dbt-core + dbt-duckdb, not counted), then ingests the passing run and the
failing run into a new Lite file, `reps` times: median wall time of the pair (target <= 15 s), the
process CPU time it took (wall time on a shared machine also measures the other tenants), and one
whole `oncall ingest` command of the failing run (interpreter start and imports included).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from oncall.catalog.recipes import run_recipe
from oncall.config import load_config
from oncall.world.dbt import build_dbt_world


def bench(root: Path, reps: int) -> dict[str, Any]:
    started = time.perf_counter()
    world = build_dbt_world(root / "world")
    build_s = time.perf_counter() - started
    walls, cpus, per_run = [], [], []
    summaries = []
    for i in range(reps):
        config = load_config(root / f"home{i}", environ={})
        cpu0, t0 = time.process_time(), time.perf_counter()
        times = []
        for run in world.runs:
            t = time.perf_counter()
            summaries.append(run_recipe(config, Path(run.recipe)))
            times.append(time.perf_counter() - t)
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - cpu0)
        per_run.append(times)
    t0 = time.perf_counter()
    home = root / "command"
    subprocess.run(
        ["oncall", "ingest", "--home", str(home), world.runs[1].recipe, "--json"],
        check=True,
        capture_output=True,
    )
    command_s = time.perf_counter() - t0
    last = summaries[-2:]
    return {
        "load_before": os.getloadavg()[0],
        "world_build_s": round(build_s, 1),
        "reps": reps,
        "ingest_both_runs_median_s": round(statistics.median(walls), 2),
        "ingest_both_runs_cpu_median_s": round(statistics.median(cpus), 2),
        "ingest_pass_median_s": round(statistics.median(t[0] for t in per_run), 2),
        "ingest_fail_median_s": round(statistics.median(t[1] for t in per_run), 2),
        "command_ingest_fail_s": round(command_s, 2),
        "entities": [s.entities for s in last],
        "aspects": [s.aspects for s in last],
        "patches": [s.patches for s in last],
        "siblings": [s.siblings for s in last],
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="oncall-bench-dbt-") as tmp:
        figures = bench(Path(tmp), args.reps)
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for key, value in figures.items():
            print(f"{key:<34}{value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
