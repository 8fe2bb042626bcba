"""Benchmark of the assertion runner on the full-scale world (SQLite pushdown, both instances at once).

    python bench/quality.py [--home DIR] [--scale 1.0] [--reps 3] [--json]

Prints, as medians over `reps` runs:
- deriving the suites from the clean baseline (kit: one COUNT(*); profile: one scan per table);
- the kit suite on both instances, run concurrently (target < 2 s);
- the profile suite on both instances (target < 20 s);
- rows scanned per second: the rows of every table each check read (an FK check also reads its
  parent table), over the wall time.

Without --home, a world is built at --scale in a temporary folder first (not timed).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from oncall.config import Config, load_config
from oncall.quality.models import Suite, SuiteRun
from oncall.quality.runner import build_suites, run_suites, warehouse_url
from oncall.world.build import build_world, load_summary
from oncall.world.demo_suites import demo_suite
from oncall.world.schema import warehouse_schema

INSTANCES = ("olist_source", "olist_dirty")
TARGETS_S = {"kit": 2.0, "profile": 20.0}


def rows_scanned(runs: list[SuiteRun], rows: dict[str, dict[str, int]]) -> int:
    """Rows each check read: its table, plus the parent table of an FK check."""
    total = 0
    for run in runs:
        counts = rows[run.instance]
        for result in run.results:
            total += counts.get(result.check.table, 0)
            total += counts.get(result.check.native_parameters.get("referenced_table", ""), 0)
    return total


def time_suite(config: Config, suite: Suite, reps: int, rows: dict[str, dict[str, int]]) -> dict[str, Any]:
    """Median wall time of one suite on both instances, and its throughput."""
    urls = {i: warehouse_url(config, i) for i in INSTANCES}
    timed: list[tuple[float, list[SuiteRun]]] = []
    for _ in range(reps):
        start = time.perf_counter()
        runs = run_suites([suite], urls)
        timed.append((time.perf_counter() - start, runs))
    wall, runs = sorted(timed, key=lambda t: t[0])[len(timed) // 2]  # the median repetition
    scanned = rows_scanned(runs, rows)
    errors = [r.error for run in runs for r in run.results if r.error]
    if errors:
        raise SystemExit(f"{suite.name}: {len(errors)} checks errored, e.g. {errors[0]}")
    return {
        "checks_per_instance": len(suite.checks),
        "wall_s": round(wall, 3),
        "per_instance_s": {r.instance: round(r.duration_ms / 1000, 3) for r in runs},
        "failing_in_production": sum(r.result == "FAILURE" for run in runs for r in run.results),
        "rows_scanned": scanned,
        "rows_per_s": round(scanned / wall),
        "target_s": TARGETS_S.get(suite.name),
        "met": wall < TARGETS_S.get(suite.name, float("inf")),
    }


def bench(home: Path, reps: int) -> dict[str, Any]:
    """Derive both suites, then time each on both instances."""
    config = load_config(home, environ={})
    summary = load_summary(home)
    if summary is None:
        raise SystemExit(f"no world in {home}; pass --home of a built world or omit it")
    out: dict[str, Any] = {"home": str(home), "scale": summary.scale, "cpus": os.cpu_count()}
    out["load_average"] = [round(x, 2) for x in os.getloadavg()]
    for name in ("kit", "profile"):
        start = time.perf_counter()
        (suite,) = build_suites(config, [demo_suite(name)], schema=warehouse_schema())
        out[f"derive_{name}_s"] = round(time.perf_counter() - start, 3)
        out[name] = time_suite(config, suite, reps, summary.rows)
    return out


def main() -> None:
    """Parse arguments, build a world if needed, print the figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--home", type=Path, help="a home with a built world (default: build one)")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="oncall-bench-quality-") as tmp:
        home = args.home
        if home is None:
            home = Path(tmp)
            print(f"building a world at scale {args.scale:g} in {home} ...", file=sys.stderr)
            build_world(home, scale=args.scale)
        result = bench(home, args.reps)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"world {result['home']} at scale {result['scale']:g}; ", end="")
    print(f"{result['cpus']} CPUs, load average {result['load_average']}")
    for name in ("kit", "profile"):
        r = result[name]
        verdict = "ok" if r["met"] else "OVER TARGET"
        print(
            f"{name:8} {r['checks_per_instance']:3} checks x 2 instances: {r['wall_s']:.2f} s wall "
            f"(target < {r['target_s']:g} s: {verdict}); per instance {r['per_instance_s']}; "
            f"{r['rows_scanned']:,} rows scanned, {r['rows_per_s']:,} rows/s; "
            f"deriving the suite {result[f'derive_{name}_s']:.2f} s"
        )


if __name__ == "__main__":
    main()
