"""Benchmark: the incident loop with every role on a real local model (the `local` preset: llama.cpp's
server with the packaged SmolLM2-135M-Instruct, on loopback).

Prints the server's load time, then over --runs dry runs of "revenue dashboard wrong": the whole loop's
wall time (median, max), model calls per run and on the critical path (calls that ran side by side
count once), the time the critical path spent inside model calls, each role's latency per call, and
what became of the answers (used, sent back by verification, replaced by the procedure). Every run must
still find the kit's three origins: the verdict is the code's.

    python bench/local_model.py [--home DIR] [--scale 0.1] [--runs 5] [--json]

Needs `pip install -e '.[local]'`. Without --home a world is built and set up at --scale in a temporary
folder; runs work on a copy. The seed measured 54.8 s for the loop with hosted models.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from oncall.agents import run_incident_sync
from oncall.bootstrap import setup
from oncall.config import load_config
from oncall.llm.local import ensure_server, stop_servers
from oncall.report.models import RunResult
from oncall.world.urns import dataset_urn

TEXT = "revenue dashboard wrong"
ORIGINS = {dataset_urn("olist_dirty", t) for t in ("olist_order_items", "olist_products", "olist_customers")}


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def _run(home: Path) -> tuple[float, RunResult]:
    config = load_config(home, environ=dict(os.environ), llm_preset="local")
    started = time.perf_counter()
    result = run_incident_sync(TEXT, config=config, dry_run=True)
    wall = time.perf_counter() - started
    got = {rc.dataset_urn for rc in result.origins}
    assert result.verdict == "root_cause_found" and got == ORIGINS, (result.verdict, got)
    return wall, result


def measure(home: Path, runs: int) -> dict[str, Any]:
    load_at_start = os.getloadavg()[0]
    config = load_config(home, environ=dict(os.environ), llm_preset="local")
    load_started = time.perf_counter()
    server = ensure_server(config)
    load_s = server.load_s if server.started else time.perf_counter() - load_started
    try:
        _run(home)  # warm: imports, the model's first prompt
        rows = [_run(home) for _ in range(runs)]
    finally:
        stop_servers()
    walls = [w for w, _ in rows]
    results = [r for _, r in rows]
    roles: dict[str, dict[str, Any]] = {}
    for result in results:
        for role, usage in result.llm.roles.items():
            agg = roles.setdefault(
                role, {"model": usage.model, "calls": 0, "used": 0, "rejected": 0, "replaced": 0, "ms": []}
            )
            for key in ("calls", "used", "rejected", "replaced"):
                agg[key] += getattr(usage, key)
            agg["ms"].extend(usage.latency_ms)
    for agg in roles.values():
        times = agg.pop("ms")
        agg["latency_ms_median"] = round(statistics.median(times), 1) if times else None
    return {
        "model": server.model,
        "model_file": str(server.model_path) if server.model_path else None,
        "server_load_ms": _ms(load_s),
        "server_reused": not server.started,
        "runs": runs,
        "wall_median_ms": _ms(statistics.median(walls)),
        "wall_max_ms": _ms(max(walls)),
        "model_calls_per_run": statistics.median(r.llm.calls for r in results),
        "sequential_calls_median": statistics.median(r.llm.sequential_calls for r in results),
        "critical_path_in_models_median_ms": round(
            statistics.median(r.llm.critical_path_ms for r in results), 1
        ),
        "tokens_in_per_run": statistics.median(r.llm.tokens_in for r in results),
        "tokens_out_per_run": statistics.median(r.llm.tokens_out for r in results),
        "verdict_correct": f"{len(rows)}/{len(rows)}",
        "roles": roles,
        "load_average_at_start": round(load_at_start, 1),
        "load_average_at_end": round(os.getloadavg()[0], 1),
        "cores": os.cpu_count(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", default=None, help="A set-up home to copy from (set up if it is not).")
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="oncall-bench-local-") as name:
        tmp = Path(name)
        if args.home:
            source = Path(args.home)
            if not (source / "datahub.db").exists():
                setup(load_config(source, environ={}), scale=args.scale)
        else:
            source = tmp / "world"
            print(f"building and setting up a world at scale {args.scale:g} ...", file=sys.stderr)
            setup(load_config(source, environ={}), scale=args.scale)
        home = tmp / "run"
        shutil.copytree(source, home, ignore=shutil.ignore_patterns("runs"))
        figures = measure(home, args.runs)
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(f"incident loop with every role on {figures['model']} (llama.cpp, loopback): \u201c{TEXT}\u201d")
    for key, value in figures.items():
        print(f"  {key:36} {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
