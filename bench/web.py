"""Console benchmark: how fast the first event reaches a browser, and fan-out to many SSE clients.

    python bench/web.py                 # builds a small seeded world in a temp dir first
    python bench/web.py --home DIR      # an existing home where `oncall setup` ran

1. Latency: `POST /api/runs` -> first event on an SSE client, median over N runs (target < 100 ms).
   Each run is drained before the next starts, so runs do not compete.
2. Fan-out: 20 SSE clients subscribe to one run before it starts (the run waits at a gate until all
   are connected), then every client must receive every event, in order.

Everything is real: uvicorn on a loopback port, the real incident loop on a seeded Lite catalog.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from oncall.agents import run_incident
from oncall.config import load_config
from oncall.report.models import RunResult
from oncall.web.server import ServerThread


def seeded_home(scale: float) -> Path:
    """A fresh home with the small world set up (world, Lite catalog, assertions)."""
    from oncall.bootstrap import setup
    from oncall.world.build import build_world

    home = Path(tempfile.mkdtemp(prefix="oncall-bench-web-")) / "home"
    build_world(home, scale=scale, seed=42, faults="kit")
    setup(load_config(home, environ={}))
    return home


class Gate:
    """Holds the real loop while closed (the fan-out waits for every client); open, it just runs it."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.event.set()

    async def __call__(self, incident: str, **kwargs: Any) -> RunResult:
        if not self.event.is_set():  # no thread hop when open, so the latency figure is the loop's own
            await asyncio.to_thread(self.event.wait, 60)
        return await run_incident(incident, **kwargs)


async def first_event_ms(client: httpx.AsyncClient, incident: str) -> tuple[float, int]:
    """Milliseconds from POST to the first SSE event; drains the run; returns (ms, events)."""
    started = time.perf_counter()
    response = await client.post("/api/runs", json={"incident": incident, "dry_run": True})
    run_id = response.json()["run_id"]
    first: float | None = None
    count = 0
    async with client.stream("GET", f"/api/runs/{run_id}/events") as stream:
        async for line in stream.aiter_lines():
            if line.startswith("data:"):
                if first is None:
                    first = (time.perf_counter() - started) * 1000
                count += 1
    assert first is not None, "the run sent no event"
    return first, count


async def collect(url: str, run_id: str, connected: list[int]) -> list[int]:
    """One SSE client: the seqs it received, in order."""
    seqs: list[int] = []
    async with (
        httpx.AsyncClient(base_url=url, timeout=120) as client,
        client.stream("GET", f"/api/runs/{run_id}/events") as stream,
    ):
        connected.append(1)
        async for line in stream.aiter_lines():
            if line.startswith("data:"):
                seqs.append(json.loads(line[5:])["seq"])
    return seqs


async def latency(url: str, runs: int) -> list[float]:
    async with httpx.AsyncClient(base_url=url, timeout=120) as client:
        await first_event_ms(client, "revenue dashboard wrong")  # warm-up: imports, first catalog open
        return [(await first_event_ms(client, "revenue dashboard wrong"))[0] for _ in range(runs)]


async def fan_out(server: ServerThread, gate: Gate, clients: int) -> dict[str, Any]:
    gate.event.clear()
    async with httpx.AsyncClient(base_url=server.url, timeout=120) as client:
        run_id = (
            await client.post("/api/runs", json={"incident": "revenue dashboard wrong", "dry_run": True})
        ).json()["run_id"]
    connected: list[int] = []
    tasks = [asyncio.create_task(collect(server.url, run_id, connected)) for _ in range(clients)]
    while len(connected) < clients:
        await asyncio.sleep(0.005)
    started = time.perf_counter()
    gate.event.set()
    received = await asyncio.gather(*tasks)
    seconds = time.perf_counter() - started
    expected = list(range(1, max(len(r) for r in received) + 1))
    complete = sum(1 for r in received if r == expected)
    return {"clients": clients, "events": len(expected), "complete": complete, "seconds": seconds}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--home", type=Path, help="a home where `oncall setup` ran (default: build one)")
    parser.add_argument("--scale", type=float, default=0.02, help="world scale when building a home")
    parser.add_argument("--runs", type=int, default=15, help="runs for the latency median")
    parser.add_argument("--clients", type=int, default=20, help="SSE clients on one run")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    os.environ.setdefault("DATAHUB_TELEMETRY_ENABLED", "false")  # as in the tests: no phoning home

    home = args.home or seeded_home(args.scale)
    config = load_config(home, environ={})
    gate = Gate()
    with ServerThread(config, runner=gate) as server:
        samples = asyncio.run(latency(server.url, args.runs))
        fan = asyncio.run(fan_out(server, gate, args.clients))

    median = statistics.median(samples)
    if args.json:
        figures = {
            "first_event_ms": {
                "median": round(median, 1),
                "min": round(min(samples), 1),
                "max": round(max(samples), 1),
                "runs": len(samples),
            },
            "fan_out": {**fan, "seconds": round(fan["seconds"], 3)},
        }
        print(json.dumps(figures, indent=2))
        return 0 if median < 100 and fan["complete"] == fan["clients"] else 1
    verdict = "met" if median < 100 else "MISSED"
    print(f"home: {home}")
    print(
        f"POST /api/runs -> first SSE event: median {median:.1f} ms, min {min(samples):.1f}, "
        f"max {max(samples):.1f} over {len(samples)} runs (target < 100 ms: {verdict})"
    )
    print(
        f"fan-out: {fan['complete']}/{fan['clients']} clients received all {fan['events']} events in order; "
        f"run + delivery took {fan['seconds'] * 1000:.0f} ms"
    )
    return 0 if median < 100 and fan["complete"] == fan["clients"] else 1


if __name__ == "__main__":
    sys.exit(main())
