"""Benchmark: the incident lifecycle (`oncall watch`) on a synthetic catalog in a DataHub Lite file.

The world: N chains `src_i -> mid_i -> mart_i` (upstream lineage) in a production instance `prod`, each
dataset with assertions, twins in a baseline instance `base` whose runs pass, plus a `side_i` dataset per
chain whose runs always pass. Owners on the sources (every fourth has none).

- **grouping**: 100 failing run events across 10 origins (every assertion of 10 chains fails once) plus
  50 passing ones, one `--once` pass: exactly 10 incidents (one per chain, at its source). Then a
  passing run of each: all 10 resolve.
- **latency**: `oncall watch --interval 1` in its own process; a failing run event is written for one
  chain at a time; the time until that chain's incident exists in the catalog, median. Target <= 2 s.
- **scale**: 10,000 run events (16 per assertion, out of order, with duplicates) handled by one
  `--once` pass in process, and the whole command in a fresh process. Target <= 10 s.

    python bench/lifecycle.py [--json] [--skip-latency] [--chains-scale 50] [--latency-samples 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import datahub.metadata.schema_classes as m
from datahub.emitter.mcp import MetadataChangeProposalWrapper as MCPW

from oncall.agents.lifecycle import Watcher, list_incidents
from oncall.agents.writeback import incident_urn
from oncall.catalog import open_catalog
from oncall.catalog.lite import LiteCatalog
from oncall.catalog.urns import platform_instance_urn
from oncall.config import Config, load_config
from oncall.world.urns import dataset_urn

ROOT = Path(__file__).resolve().parents[1]
PROD, BASE = "prod", "base"
CHECKS = {"src": 4, "mid": 3, "mart": 3, "side": 5}
"""Assertions per dataset kind: 10 per chain on src/mid/mart (the failing ones), 5 on the side table."""


def _assertion(ds: str, check: str) -> str:
    return f"urn:li:assertion:bench-{abs(hash((ds, check))) % 10**12:012d}"


def _ds(instance: str, kind: str, i: int) -> str:
    return dataset_urn(instance, f"{kind}_{i}")


def build_world(home: Path, chains: int) -> Config:
    """A Lite catalog of `chains` chains in both instances, with assertions and passing baseline runs."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.yaml").write_text(f"baseline_instance: {BASE}\nproduction_instance: {PROD}\n")
    config = load_config(home, environ={})
    mcps: list[MCPW] = []
    ts = int(time.time() * 1000) - 3_600_000
    for instance in (BASE, PROD):
        for i in range(chains):
            for kind in CHECKS:
                ds = _ds(instance, kind, i)
                mcps += [
                    MCPW(entityUrn=ds, aspect=m.DatasetPropertiesClass(name=f"{kind}_{i}")),
                    MCPW(
                        entityUrn=ds,
                        aspect=m.DataPlatformInstanceClass(
                            platform="urn:li:dataPlatform:sqlite",
                            instance=platform_instance_urn("sqlite", instance),
                        ),
                    ),
                ]
                upstream = {"mid": "src", "mart": "mid"}.get(kind)
                if upstream:
                    mcps.append(
                        MCPW(
                            entityUrn=ds,
                            aspect=m.UpstreamLineageClass(
                                upstreams=[m.UpstreamClass(dataset=_ds(instance, upstream, i), type="VIEW")]
                            ),
                        )
                    )
                if kind == "src" and i % 4:
                    owner = m.OwnerClass(owner=f"urn:li:corpGroup:team_{i % 4}", type="DATAOWNER")
                    mcps.append(MCPW(entityUrn=ds, aspect=m.OwnershipClass(owners=[owner])))
                for c in range(CHECKS[kind]):
                    a = _assertion(ds, f"check_{c}")
                    info = m.AssertionInfoClass(
                        type=m.AssertionTypeClass.DATASET,
                        datasetAssertion=m.DatasetAssertionInfoClass(
                            dataset=ds,
                            scope=m.DatasetAssertionScopeClass.DATASET_ROWS,
                            operator=m.AssertionStdOperatorClass.EQUAL_TO,
                            nativeType=f"{kind}_check_{c}",
                        ),
                    )
                    mcps.append(MCPW(entityUrn=a, aspect=info))
                    mcps.append(MCPW(entityUrn=a, aspect=_run(a, ds, "SUCCESS", ts, "setup")))
    with LiteCatalog(config.lite_path, create=True) as catalog:
        catalog.emit(mcps)
    return config


def _run(a: str, ds: str, result: str, ts: int, run_id: str) -> m.AssertionRunEventClass:
    return m.AssertionRunEventClass(
        timestampMillis=ts,
        runId=run_id,
        asserteeUrn=ds,
        assertionUrn=a,
        status=m.AssertionRunStatusClass.COMPLETE,
        result=m.AssertionResultClass(type=result, actualAggValue=0.0 if result == "SUCCESS" else 7.0),
    )


def chain_events(chain: int, result: str, ts: int, run_id: str) -> list[MCPW]:
    """A run of every assertion of one chain's src/mid/mart (10 events)."""
    out = []
    for kind in ("src", "mid", "mart"):
        ds = _ds(PROD, kind, chain)
        for c in range(CHECKS[kind]):
            a = _assertion(ds, f"check_{c}")
            out.append(MCPW(entityUrn=a, aspect=_run(a, ds, result, ts, run_id)))
    return out


def side_events(chain: int, ts: int, run_id: str) -> list[MCPW]:
    ds = _ds(PROD, "side", chain)
    return [
        MCPW(
            entityUrn=_assertion(ds, f"check_{c}"),
            aspect=_run(_assertion(ds, f"check_{c}"), ds, "SUCCESS", ts, run_id),
        )
        for c in range(CHECKS["side"])
    ]


def _emit(config: Config, mcps: list[MCPW]) -> None:
    with LiteCatalog(config.lite_path) as catalog:
        catalog.emit(mcps)


def _once(config: Config) -> tuple[float, Any]:
    watcher = Watcher(config, lambda: open_catalog(config))
    started = time.perf_counter()
    try:
        report = asyncio.run(watcher.run(once=True))
    finally:
        watcher.close()
    return time.perf_counter() - started, report


def bench_grouping(root: Path) -> dict[str, Any]:
    config = build_world(root / "grouping", chains=20)
    ts = int(time.time() * 1000)
    failing = [e for i in range(10) for e in chain_events(i, "FAILURE", ts, "bad-run")]
    passing = [e for i in range(10) for e in side_events(i, ts, "good-run")]
    _emit(config, failing + passing)
    seconds, report = _once(config)
    incidents = list_incidents(config)
    expected = {incident_urn(_ds(PROD, "src", i), 0) for i in range(10)}
    fixed = [e for i in range(10) for e in chain_events(i, "SUCCESS", ts + 1000, "fix-run")]
    _emit(config, fixed)
    resolve_s, resolved = _once(config)
    return {
        "failing_events": len(failing),
        "passing_events": len(passing),
        "incidents": len(incidents),
        "incidents_at_origins": len({i.urn for i in incidents} & expected),
        "loop_runs": report.loops,
        "pass_s": round(seconds, 2),
        "resolved": len(resolved.resolved),
        "resolve_pass_s": round(resolve_s, 2),
        "exactly_10": len(incidents) == 10 and {i.urn for i in incidents} == expected,
    }


def _incident_exists(lite: Path, urn: str) -> bool:
    conn = sqlite3.connect(f"{lite.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
    try:
        row = conn.execute(
            "SELECT 1 FROM metadata_aspect_v2 WHERE urn = ? AND aspect_name = 'incidentInfo' AND version = 0",
            (urn,),
        ).fetchone()
    finally:
        conn.close()
    return row is not None


def bench_latency(root: Path, samples: int) -> dict[str, Any]:
    config = build_world(root / "latency", chains=samples)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ONCALL_", "SLACK_"))}
    env["PYTHONPATH"] = str(ROOT / "src")
    env["DATAHUB_TELEMETRY_ENABLED"] = "false"
    code = "from oncall.cli import main; main()"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "watch", "--interval", "1", "--home", str(config.home)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    rng = random.Random(7)
    latencies = []
    try:
        deadline = time.time() + 60
        while not (config.home / "lifecycle.db").exists() and time.time() < deadline:
            time.sleep(0.1)
        time.sleep(1.5)  # its first pass (nothing new) is done
        for i in range(samples):
            time.sleep(rng.uniform(0.2, 1.2))  # land anywhere in the watcher's interval
            ds = _ds(PROD, "src", i)
            a = _assertion(ds, "check_0")
            written = time.time()
            _emit(config, [MCPW(entityUrn=a, aspect=_run(a, ds, "FAILURE", int(written * 1000), f"r{i}"))])
            urn = incident_urn(ds, 0)
            while not _incident_exists(config.lite_path, urn):
                if time.time() - written > 30:
                    raise RuntimeError(f"no incident for {ds} after 30 s")
                time.sleep(0.02)
            latencies.append(time.time() - written)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return {
        "samples": len(latencies),
        "median_s": round(statistics.median(latencies), 2),
        "max_s": round(max(latencies), 2),
        "interval_s": 1.0,
    }


def bench_scale(root: Path, chains: int, total: int = 10_000) -> dict[str, Any]:
    config = build_world(root / "scale", chains=chains)
    assertions = [
        (_assertion(_ds(PROD, kind, i), f"check_{c}"), _ds(PROD, kind, i))
        for i in range(chains)
        for kind in CHECKS
        for c in range(CHECKS[kind])
    ]
    rng = random.Random(3)
    base = int(time.time() * 1000) - 600_000
    failing_chains = set(range(10))
    mcps = []
    total -= 2 * len(assertions)  # build_world wrote one passing run per assertion and instance
    per = total // len(assertions)
    for a, ds in assertions:
        chain = int(ds.rsplit("_", 1)[-1].split(",")[0])
        kind = ds.split(".main.")[-1].split("_")[0]
        ends_bad = chain in failing_chains and kind != "side"
        stamps = sorted(rng.sample(range(1, 500_000), per))
        runs = [(_result(rng, ends_bad, k == per - 1), t) for k, t in enumerate(stamps)]
        rng.shuffle(runs)  # out of order
        mcps += [MCPW(entityUrn=a, aspect=_run(a, ds, r, base + t, f"run-{t}")) for r, t in runs]
    while len(mcps) < total:  # duplicates (rewrites of an earlier event) to make the round number
        mcps.append(mcps[rng.randrange(len(mcps))])
    _emit(config, mcps[:total])
    seconds, report = _once(config)
    command_s = _command_once(config)
    return {
        "run_events": report.events,
        "assertions": len(assertions),
        "loop_runs": report.loops,
        "incidents": len(list_incidents(config)),
        "pass_s": round(seconds, 2),
        "command_idle_s": round(command_s, 2),
    }


def _result(rng: random.Random, ends_bad: bool, newest: bool) -> str:
    """Flapping history; the newest run fails only on the failing chains."""
    if newest:
        return "FAILURE" if ends_bad else "SUCCESS"
    return rng.choice(["SUCCESS", "SUCCESS", "FAILURE"])


def _command_once(config: Config) -> float:
    """`oncall watch --once` in a fresh process with nothing new: the fixed cost of a cron run."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ONCALL_", "SLACK_"))}
    env["PYTHONPATH"] = str(ROOT / "src")
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-c",
            "from oncall.cli import main; main()",
            "watch",
            "--once",
            "--home",
            str(config.home),
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--skip-latency", action="store_true", help="skip the --interval 1 latency run")
    parser.add_argument("--latency-samples", type=int, default=10)
    parser.add_argument("--chains-scale", type=int, default=50, help="chains in the 10,000-event world")
    args = parser.parse_args(argv)
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-lifecycle-") as tmp:
        root = Path(tmp)
        out: dict[str, Any] = {"load_avg_start": round(load, 1), "grouping": bench_grouping(root)}
        if not args.skip_latency:
            out["latency"] = bench_latency(root, args.latency_samples)
        out["scale"] = bench_scale(root, args.chains_scale)
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        g, s = out["grouping"], out["scale"]
        print(
            f"grouping: {g['failing_events']} failing + {g['passing_events']} passing events -> "
            f"{g['incidents']} incidents ({g['incidents_at_origins']} at the planted origins, "
            f"{g['loop_runs']} loop runs, {g['pass_s']} s); recovery resolved {g['resolved']}"
        )
        if "latency" in out:
            lat = out["latency"]
            print(
                f"latency (--interval 1): median {lat['median_s']} s, max {lat['max_s']} s "
                f"over {lat['samples']} events"
            )
        print(
            f"scale: {s['run_events']} run events in one --once pass: {s['pass_s']} s "
            f"({s['loop_runs']} loop runs, {s['incidents']} incidents); idle command {s['command_idle_s']} s"
        )
        print(f"load average at start: {out['load_avg_start']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
