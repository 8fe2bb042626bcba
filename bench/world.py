"""Benchmark: build the full-scale world (both DBs, kit faults) in a temporary home.

Prints the wall time of each step and in total, the peak RSS (this process and any children) and the
file sizes. Target on the 2-core dev machine: under 60 s and under 2 GB.

    python bench/world.py [--scale 1.0] [--seed 42] [--geolocation-rows N] [--json]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

from oncall.world.build import DIRTY_DB, SOURCE_DB, build_world


def peak_rss_mb() -> float:
    """Peak resident set size in MB of this process and its waited-for children (Linux reports KiB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--geolocation-rows", type=int, default=None)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)

    started = time.perf_counter()

    def progress(line: str) -> None:
        print(f"{time.perf_counter() - started:7.2f} s  {line}", file=sys.stderr)

    with tempfile.TemporaryDirectory(prefix="oncall-bench-") as tmp:
        home = Path(tmp)
        summary = build_world(
            home,
            scale=args.scale,
            seed=args.seed,
            geolocation_rows=args.geolocation_rows,
            progress=progress,
        )
        wall = time.perf_counter() - started
        sizes = {name: (home / name).stat().st_size / 2**20 for name in (SOURCE_DB, DIRTY_DB)}
    total_rows = sum(sum(t.values()) for t in summary.rows.values())
    figures = {
        "scale": args.scale,
        "seed": args.seed,
        "wall_s": round(wall, 2),
        "peak_rss_mb": round(peak_rss_mb()),
        "rows": total_rows,
        "db_mb": {name: round(mb) for name, mb in sizes.items()},
        "faults": {f"{f.kind} {f.table}": f.rows_touched for f in summary.faults},
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(f"world build (scale {args.scale:g}, seed {args.seed}, faults kit)")
    print(f"  wall seconds   {wall:.1f}")
    print(f"  peak RSS MB    {figures['peak_rss_mb']}")
    print(f"  rows written   {total_rows:,} (both DBs)")
    for name, mb in sizes.items():
        print(f"  {name:<17}{mb:.0f} MB")
    print(f"  faults         {', '.join(f'{f.kind} {f.rows_touched:,}' for f in summary.faults)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
