"""MCP benchmark: `investigate_incident` tool-call latency through the SDK's real client, offline.

    python bench/mcp_server.py              # builds a small seeded world in a temp dir first
    python bench/mcp_server.py --home DIR   # an existing home where `oncall setup` ran

(Not bench/mcp.py: run as a script, that name would shadow the SDK's `mcp` package.)

Both transports, as clients use them: stdio (`oncall mcp` as a subprocess, what Claude Desktop and
Cursor start) and streamable HTTP (`oncall mcp --http` on loopback). Each call is a dry run of
"revenue dashboard wrong" with progress notifications on; the figure is the median wall time from
sending the call to holding the result, beside the loop's own time inside it (the run's `duration_ms`),
so the difference is what MCP, the run manager and the history cost. The first call (imports, catalog
open) is reported apart.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio
import httpx2
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

import oncall
from oncall.config import load_config

INCIDENT = "revenue dashboard wrong"


def seeded_home(scale: float) -> Path:
    """A fresh home with the small world set up (world, Lite catalog, assertions)."""
    from oncall.bootstrap import setup
    from oncall.world.build import build_world

    home = Path(tempfile.mkdtemp(prefix="oncall-bench-mcp-")) / "home"
    build_world(home, scale=scale, seed=42, faults="kit")
    setup(load_config(home, environ={}))
    return home


async def _calls(client: Client, runs: int) -> dict[str, Any]:
    walls: list[float] = []
    loops: list[float] = []
    events = 0
    seen: list[float] = []

    # The parameter names are the SDK's ProgressFnT protocol's: it may call them by keyword.
    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append(progress)

    for _ in range(runs + 1):  # the first call warms up (imports, catalog open)
        seen.clear()
        started = time.perf_counter()
        result = await client.call_tool(
            "investigate_incident", {"text": INCIDENT, "dry_run": True}, progress_callback=on_progress
        )
        walls.append((time.perf_counter() - started) * 1000)
        content = result.structured_content or {}
        if result.is_error or content.get("verdict") != "root_cause_found":
            raise SystemExit(f"investigate_incident failed: {result.content}")
        loops.append(float(content["duration_ms"]))
        events = len(seen)
    return {
        "first_ms": round(walls[0], 1),
        "median_ms": round(statistics.median(walls[1:]), 1),
        "loop_median_ms": round(statistics.median(loops[1:]), 1),
        "overhead_median_ms": round(
            statistics.median(w - lp for w, lp in zip(walls[1:], loops[1:], strict=True)), 1
        ),
        "progress_notifications": events,
        "runs": runs,
    }


def _env() -> dict[str, str]:
    src = str(Path(oncall.__file__).resolve().parents[1])
    return {"PYTHONPATH": src, "DATAHUB_TELEMETRY_ENABLED": "false"}


async def stdio(home: Path, runs: int) -> dict[str, Any]:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-c", "from oncall.cli import main; main()", "mcp", "--home", str(home)],
        env=_env(),
    )
    started = time.perf_counter()
    async with Client(params) as client:
        connected = (time.perf_counter() - started) * 1000
        figures = await _calls(client, runs)
    return {**figures, "connect_ms": round(connected, 1)}


async def http(home: Path, runs: int) -> dict[str, Any]:
    from oncall.mcp import MCP_PATH, http_app
    from oncall.web.server import AppThread

    with AppThread(http_app(load_config(home, environ={}))) as server:
        async with (
            httpx2.AsyncClient(timeout=httpx2.Timeout(30, read=300)) as client_http,
            Client(streamable_http_client(server.url + MCP_PATH, http_client=client_http)) as client,
        ):
            return await _calls(client, runs)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--home", type=Path, help="a home where `oncall setup` ran (default: build one)")
    parser.add_argument("--scale", type=float, default=0.02, help="world scale when building a home")
    parser.add_argument("--runs", type=int, default=15, help="calls per transport for the median")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    home = args.home or seeded_home(args.scale)
    figures: dict[str, Any] = {
        "load_before": os.getloadavg()[0],
        "stdio": anyio.run(stdio, home, args.runs),
        "http": anyio.run(http, home, args.runs),
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    for name in ("stdio", "http"):
        f = figures[name]
        print(
            f"{name:5}: investigate_incident median {f['median_ms']:.0f} ms "
            f"(loop {f['loop_median_ms']:.0f} ms, "
            f"MCP overhead {f['overhead_median_ms']:.0f} ms), first call {f['first_ms']:.0f} ms, "
            f"{f['progress_notifications']} progress notifications per call"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
