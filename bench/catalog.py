"""Benchmark of the catalog: setup time, lookup latency on the Olist catalog, and a 10k-dataset scale run.

    python bench/catalog.py [--scale 0.05] [--datasets 10000] [--depth 11] [--reps 200] [--json]

Prints:
- setup: world build (not counted), ingestion of both instances through DataHub's framework, the
  assertion suites, in seconds (target: ingest < 30 s; ingestion reads schemas only, so it does
  not depend on the world's scale);
- median latency of search, get and 3-hop lineage on the Olist catalog (target < 20 ms);
- a synthetic Lite catalog of N datasets in `depth` layers (each dataset reads 3 of the layer
  below): build time, search latency, and the full upstream closure of a top-layer dataset (target
  < 500 ms); plus the same downstream lookup through the read model and through a `json_each` scan
  of Lite's aspect table (the approach the read model replaces).

The adapter remembers reads until the file changes; every timed call here starts without them.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from oncall.bootstrap import setup
from oncall.catalog.lite import LiteCatalog
from oncall.config import load_config
from oncall.world.build import build_world
from oncall.world.urns import dashboard_urn, dataset_urn


def median_ms(call: Callable[[], Any], reps: int, forget: LiteCatalog | None = None) -> float:
    """Median wall time of `call` in milliseconds (after one warm-up call). With `forget`, that
    catalog's remembered reads are dropped before each call: the adapter keeps answers until the file
    changes, so a repeated call would time a dictionary lookup, not the read."""
    call()
    times = []
    for _ in range(reps):
        if forget is not None:
            forget._memo.forget()
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 3)


def bench_olist(root: Path, scale: float, reps: int) -> dict[str, Any]:
    """Setup on a fresh home, then lookups on its catalog."""
    home = root / "olist"
    started = time.perf_counter()
    build_world(home, scale=scale)
    world_s = time.perf_counter() - started
    config = load_config(home, environ={})
    summary = setup(config)
    quality_s = summary.seconds - summary.ingest.seconds
    with LiteCatalog(config.lite_path, read_only=True) as catalog:
        revenue = dashboard_urn("olist_dirty", "revenue")
        customers = dataset_urn("olist_dirty", "olist_customers")
        lookups = {
            "search 'revenue dashboard' ms": median_ms(
                lambda: catalog.search("revenue dashboard"), reps, catalog
            ),
            "search 'seller id' (columns) ms": median_ms(lambda: catalog.search("seller id"), reps, catalog),
            "get dataset ms": median_ms(lambda: catalog.get(customers), reps, catalog),
            "lineage 3 hops up from dashboard ms": median_ms(
                lambda: catalog.lineage(revenue, hops=3), reps, catalog
            ),
            "assertions with runs ms": median_ms(lambda: catalog.assertions(customers), reps, catalog),
        }
    return {
        "world scale": scale,
        "world build s (not counted)": round(world_s, 2),
        "ingest both instances s": summary.ingest.seconds,
        "assertion suites s": round(quality_s, 2),
        "setup total s": summary.seconds,
        **lookups,
    }


def _synthetic_mcps(n: int, depth: int, seed: int) -> list[Any]:
    import datahub.metadata.schema_classes as m
    from datahub.emitter.mcp import MetadataChangeProposalWrapper as MCPW

    rng = random.Random(seed)
    per_layer = n // depth
    mcps: list[Any] = []
    for layer in range(depth):
        for i in range(per_layer):
            urn = dataset_urn("synthetic", f"l{layer:02d}_t{i:05d}")
            props = m.DatasetPropertiesClass(
                name=f"l{layer:02d}_t{i:05d}", description=f"layer {layer} table {i}"
            )
            mcps += [MCPW(entityUrn=urn, aspect=props)]
            if layer:
                ups = rng.sample(range(per_layer), 3)
                lineage = m.UpstreamLineageClass(
                    upstreams=[
                        m.UpstreamClass(
                            dataset=dataset_urn("synthetic", f"l{layer - 1:02d}_t{u:05d}"), type="VIEW"
                        )
                        for u in ups
                    ]
                )
                mcps.append(MCPW(entityUrn=urn, aspect=lineage))
    return mcps


def bench_scale(root: Path, n: int, depth: int, reps: int) -> dict[str, Any]:
    """Build a synthetic Lite catalog through the adapter and time search and closures on it."""
    path = root / "synthetic.db"
    catalog = LiteCatalog(path, create=True)
    mcps = _synthetic_mcps(n, depth, seed=7)
    started = time.perf_counter()
    catalog.emit(mcps)
    build_s = time.perf_counter() - started
    top = dataset_urn("synthetic", f"l{depth - 1:02d}_t00042")
    bottom = dataset_urn("synthetic", "l00_t00042")
    closure = catalog.lineage(top)
    conn = sqlite3.connect(path)
    scan = (
        "SELECT urn FROM metadata_aspect_v2 WHERE aspect_name = 'upstreamLineage' AND version = 0 AND "
        "EXISTS (SELECT 1 FROM json_each(metadata, '$.upstreams') WHERE json_extract(value, '$.dataset') = ?)"
    )
    result = {
        "synthetic datasets": n,
        "layers": depth,
        "build through Lite s": round(build_s, 2),
        "upstream closure size": len(closure),
        "closure max hops": max(node.hops for node in closure),
        "search 'table 4711' ms": median_ms(
            lambda: catalog.search("table 4711"), max(reps // 10, 5), catalog
        ),
        "full upstream closure ms": median_ms(lambda: catalog.lineage(top), max(reps // 20, 5), catalog),
        "1-hop downstream, read model ms": median_ms(
            lambda: catalog.lineage(bottom, direction="downstream", hops=1), reps, catalog
        ),
        "1-hop downstream, json_each scan ms": median_ms(
            lambda: conn.execute(scan, (bottom,)).fetchall(), 20
        ),
    }
    conn.close()
    catalog.close()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=float, default=0.05, help="world scale for the Olist part")
    parser.add_argument("--datasets", type=int, default=10_000)
    parser.add_argument("--depth", type=int, default=11, help="layers; the closure spans depth - 1 hops")
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="oncall-bench-") as tmp:
        figures = {
            "olist": bench_olist(Path(tmp), args.scale, args.reps),
            "scale": bench_scale(Path(tmp), args.datasets, args.depth, args.reps),
        }
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    for section, values in figures.items():
        print(f"[{section}]")
        for name, value in values.items():
            print(f"  {name:<40} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
