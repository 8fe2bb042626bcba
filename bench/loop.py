"""Benchmark: the incident loop on the kit world ("revenue dashboard wrong").

Offline (no model):
- in-process latency of `run_incident` with an open catalog: the first run (creates three incidents,
  tags, links), re-runs (idempotent: read back, nothing new) and dry runs; medians. Target < 300 ms.
- the same including opening the catalog, and the whole command (`oncall run --json`) in a fresh
  process, as a user sees it.

LLM path: every role pointed at the loopback OpenAI-compatible stand-in answering after a fixed latency
(500 ms): the number of sequential model round trips on the critical path (target <= 4) and our
overhead beyond them: wall time minus round trips x latency (target < 100 ms), and the agents' share,
wall time minus the time the critical path spent inside model calls. The stand-in runs in its own
process, so its work does not compete with ours. It speaks HTTP/1.0 (a stream ends by closing, so a
burst of chunks arrives in one read); `--keep-alive` makes it keep connections open and send streams
chunked, one HTTP chunk per event, as hosted APIs do.

    python bench/loop.py [--home DIR] [--scale 1.0] [--runs 7] [--latency 0.5] [--skip-llm]
                         [--skip-offline] [--keep-alive]

Without --home, a world is built and set up in a temporary folder at --scale (the full scale takes a
while on two cores). Runs always work on a copy, so the home is left as it was.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from oncall.agents import run_incident_sync
from oncall.bootstrap import setup
from oncall.catalog import open_catalog
from oncall.config import Config, load_config
from oncall.report.models import RunResult
from oncall.world.urns import dashboard_urn

TEXT = "revenue dashboard wrong"
REVENUE = dashboard_urn("olist_dirty", "revenue")
ROOT = Path(__file__).resolve().parents[1]


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def _timed(work: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = work()
    return time.perf_counter() - started, value


def _check(result: RunResult) -> None:
    origins = sorted(rc.dataset_urn.split(".")[-1].split(",")[0] for rc in result.origins)
    assert result.symptom is not None and result.symptom.urn == REVENUE, result.symptom
    assert origins == ["olist_customers", "olist_order_items", "olist_products"], origins


def _oncall() -> str:
    """The installed console script (what a user types)."""
    found = shutil.which("oncall") or str(Path(sys.executable).with_name("oncall"))
    return found


def offline(home: Path, runs: int) -> dict[str, Any]:
    """In-process and whole-command latencies of the offline loop."""
    config = load_config(home, environ={})
    catalog = open_catalog(config)
    try:
        first, result = _timed(lambda: run_incident_sync(TEXT, config=config, catalog=catalog))
        _check(result)
        again = [
            _timed(lambda: run_incident_sync(TEXT, config=config, catalog=catalog))[0] for _ in range(runs)
        ]
        dry = [
            _timed(lambda: run_incident_sync(TEXT, config=config, catalog=catalog, dry_run=True))[0]
            for _ in range(runs)
        ]
    finally:
        catalog.close()
    opened = [_timed(lambda: run_incident_sync(TEXT, config=config, dry_run=True))[0] for _ in range(runs)]
    command = []
    for _ in range(max(3, runs // 2)):
        wall, done = _timed(
            lambda: subprocess.run(
                [_oncall(), "run", TEXT, "--json", "--home", str(home)],
                capture_output=True,
                text=True,
                check=False,
            )
        )
        assert done.returncode == 0, done.stderr
        command.append(wall)
    return {
        "first_run_ms": _ms(first),
        "rerun_median_ms": _ms(statistics.median(again)),
        "dry_run_median_ms": _ms(statistics.median(dry)),
        "with_catalog_open_median_ms": _ms(statistics.median(opened)),
        "command_wall_median_ms": _ms(statistics.median(command)),
        "phases_ms_last_run": result.timings_ms,
    }


_THINKING = "Resolve the entity, then diff, then join on lineage. " * 4


def _respond(request: Any) -> Any:
    """The stand-in's answer per role (runs in the server process)."""
    from tests.llm.openai_standin import answer

    role = request.model.removeprefix("standin-")
    if role == "coordinator":
        if "Deterministic summary" in json.dumps(request.messages):
            return answer(
                {
                    "summary": "olist_order_items, olist_products and olist_customers regressed.",
                    "follow_ups": ["Repair the loads."],
                }
            )
        return answer({"steps": ["find", "diff", "join", "fix"]}, reasoning=_THINKING)
    if role == "detective":
        return answer({"urn": REVENUE, "reasons": ["revenue dashboard"]}, reasoning=_THINKING)
    if role == "reality_checker":
        return answer({"text": "Three tables regressed."})
    return answer({"slack_message": "Revenue incident: three origins.", "titles": {}})


def _serve(latency_s: float, conn: Any, keep_alive: bool = False) -> None:
    """Child process: the stand-in answering every role after the fixed latency, until told to stop."""
    from tests.llm.openai_standin import running_standin

    with running_standin(latency_s, keep_alive=keep_alive) as standin:
        standin.responder = _respond
        conn.send(standin.url)
        conn.recv()


class _Url:
    """Quacks like the stand-in for `standin_config`, which only reads `.url`."""

    def __init__(self, url: str) -> None:
        self.url = url


def _llm_run(config: Config, catalog: Any, dry_run: bool) -> tuple[float, RunResult]:
    wall, result = _timed(lambda: run_incident_sync(TEXT, config=config, catalog=catalog, dry_run=dry_run))
    _check(result)
    assert not result.degraded, result.degraded
    return wall, result


def llm_path(home: Path, latency_s: float, runs: int, *, keep_alive: bool = False) -> dict[str, Any]:
    """Critical-path round trips and our overhead beyond them; the stand-in runs in its own process so
    its work does not compete with ours for the interpreter."""
    from tests.plugins.llm import standin_config

    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    server = ctx.Process(target=_serve, args=(latency_s, child, keep_alive), daemon=True)
    server.start()
    try:
        config: Config = standin_config(home, _Url(parent.recv()), timeout_s=30.0)  # type: ignore[arg-type]
        catalog = open_catalog(config)
        try:
            cold, _ = _llm_run(config, catalog, dry_run=False)  # loads the model stack, writes
            rows = [_llm_run(config, catalog, dry_run=True) for _ in range(runs)]
        finally:
            catalog.close()
    finally:
        parent.send("stop")
        server.join(timeout=10)
    last = rows[-1][1]
    return {
        "connections": "kept alive, chunked streams" if keep_alive else "one per request (HTTP/1.0)",
        "latency_ms_per_call": _ms(latency_s),
        "model_calls_per_run": last.llm.calls,
        "sequential_calls": last.llm.sequential_calls,
        "wall_median_ms": _ms(statistics.median(w for w, _ in rows)),
        "overhead_beyond_latency_median_ms": _ms(
            statistics.median(w - r.llm.sequential_calls * latency_s for w, r in rows)
        ),
        "agents_overhead_median_ms": _ms(
            statistics.median(w - r.llm.critical_path_ms / 1000 for w, r in rows)
        ),
        "first_run_with_imports_and_writes_ms": _ms(cold),
    }


def _prepare(args: argparse.Namespace, tmp: Path) -> Path:
    """A set-up home to copy from: the given one, or a fresh world at --scale."""
    if args.home:
        source = Path(args.home)
        if not (source / "datahub.db").exists():
            print(f"setting up {source} at scale {args.scale:g} ...", file=sys.stderr)
            setup(load_config(source, environ={}), scale=args.scale)
        return source
    source = tmp / "world"
    print(f"building and setting up a world at scale {args.scale:g} ...", file=sys.stderr)
    setup(load_config(source, environ={}), scale=args.scale)
    return source


def _copy(source: Path, tmp: Path, name: str) -> Path:
    target = tmp / name
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("runs"))
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", default=None, help="A home to copy from (set up if it is not).")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--latency", type=float, default=0.5, help="Stand-in seconds per model call.")
    parser.add_argument("--skip-llm", action="store_true")
    parser.add_argument("--skip-offline", action="store_true")
    parser.add_argument("--keep-alive", action="store_true", help="Stand-in with persistent connections.")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))  # the stand-in server lives with the tests
    with tempfile.TemporaryDirectory(prefix="oncall-bench-loop-") as name:
        tmp = Path(name)
        source = _prepare(args, tmp)
        figures: dict[str, dict[str, Any]] = {}
        if not args.skip_offline:
            figures["offline"] = offline(_copy(source, tmp, "offline"), args.runs)
        if not args.skip_llm:
            runs = max(3, args.runs // 2)
            figures["llm"] = llm_path(
                _copy(source, tmp, "llm"), args.latency, runs, keep_alive=args.keep_alive
            )
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(f"incident loop on the kit world ({source}): \u201c{TEXT}\u201d")
    for section, values in figures.items():
        print(f"  {section}")
        for key, value in values.items():
            print(f"    {key:30} {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
