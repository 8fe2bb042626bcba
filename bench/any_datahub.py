"""Benchmark: the incident loop on a big catalog that is not the demo (any DataHub).

A synthetic multi-platform catalog in DataHub Lite, in the shapes DataHub's sources write, with no
platform instances: Postgres tables loaded into Snowflake by Airflow tasks (`dataJobInputOutput`), dbt
models in 15 layers each with its Snowflake table as a sibling (`siblings`, COPY lineage), Looker
charts and dashboards on the top layer, owners, dbt tests and Snowflake DMFs with four runs each (the
latest fails for about 1%). Default size: 100,000 datasets, lineage depth 19 (job and sibling hops
included), 200,000 assertion run events. It is written straight into the Lite file in one transaction
(our read-model triggers index it as it goes) and cached under bench/out/.

Two lineage shapes (`--shape`): `domains`, as data teams lay models out (100 domains; each model reads
two models of its own domain in the layer below, one of them from a shared domain of conformed
dimensions one time in twenty; a dashboard's charts sit in one domain), and `mesh`, the worst case
(each model reads any two of the layer below, so a dashboard's upstream is a quarter of the catalog).

- Lite: one offline `run_incident` in process on a dashboard of the top layer, with the semantic index
  `oncall ingest` leaves: the first run on a new catalog handle with nothing read (as the first `oncall
  run` process after an ingest; the median of three handles), the first run on a new handle that takes
  the warm-start file the one before it left (a later process, or the console's and the MCP server's
  next run: they open a handle per run), and the median of --runs re-runs (as the watcher, which
  keeps its handle); target <= 1 s, with the phases of
  the last run. Then --runs runs that write (incidents, tags) on one handle over a copy of the file,
  each timed right after one that wrote (what the watcher does).
- GMS: the same run against the loopback GMS stand-in serving a smaller copy (--gms-datasets): GraphQL
  requests per run and sequential round trips (the longest chain of requests each sent after the one
  before it answered, as the client saw them; target <= 12) with the documents along that chain, for
  the first run in a new home (which builds the semantic index from the server) and for a later one.
  The stand-in is an in-memory Python model of GMS, so its wall time is not a figure (about 45 s for
  both runs at 3,000 datasets; `--skip-lite --gms-datasets 100000` took 5 min, three new homes).
  It serves concurrent requests one at a time on this process's GIL: `--gms-workers N` forks N
  processes that serve one port; `--gms-latency-ms` with `--gms-page-divisor` models a bigger
  catalog on a server that serves side by side (see `gms_requests`).

    python bench/any_datahub.py [--datasets 100000] [--runs 5] [--shape domains|mesh|both]
                                [--gms-datasets 3000] [--gms-latency-ms 0] [--gms-page-divisor 1]
                                [--gms-workers 1] [--skip-gms] [--skip-lite] [--skip-writes]
                                [--json] [--rebuild]
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import itertools
import json
import multiprocessing
import os
import random
import socket
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
LAYERS = 15
RUNS_PER_ASSERTION = 4
T0 = 1_793_512_800_000
DAY = 86_400_000
DOMAINS = 100
"""The `domains` shape: models belong to one of up to DOMAINS domains (by index, about 27 models a
layer each at 100k); the last domain is the shared one (conformed dimensions) every domain reads now
and then."""
CROSS_DOMAIN = 0.05
SHAPES = ("domains", "mesh")
FORMAT = 3
"""Bump when the generated shapes change (the cache file name carries it)."""


def ds(platform: str, name: str) -> str:
    return f"urn:li:dataset:(urn:li:dataPlatform:{platform},{name},PROD)"


def _upstreams(
    rng: random.Random, previous: list[list[str]], flat: list[str], domain: int, shape: str
) -> list[str]:
    """Two upstreams in the layer below. `mesh`: any two of the layer (the closure of a top-layer
    entity is most of the catalog: the worst case). `domains`: two of its own domain, one of them from
    the shared domain (conformed dimensions) one time in twenty, as data teams lay out their models."""
    if shape == "mesh":
        return rng.sample(flat, 2)
    own = previous[domain]
    ups = rng.sample(own, min(2, len(own)))
    shared = len(previous) - 1
    if domain != shared and rng.random() < CROSS_DOMAIN:
        ups[-1] = rng.choice(previous[shared])
    return ups


def _aspects(n_datasets: int, seed: int, shape: str = "domains") -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(urn, aspect name, value) of the whole catalog; run events are yielded last."""
    rng = random.Random(seed)
    sources = n_datasets // 10
    models = (n_datasets - 2 * sources) // 2
    per_layer = models // LAYERS
    domains = max(1, min(DOMAINS, per_layer // 20))  # small catalogs (the GMS copy): one domain
    flow = "urn:li:dataFlow:(airflow,load_raw,prod)"
    yield flow, "dataFlowInfo", {"name": "load_raw", "customProperties": {}}
    raw = []
    raw_by_domain: list[list[str]] = [[] for _ in range(domains)]
    for i in range(sources):
        pg, wh = ds("postgres", f"shop.public.t{i:05d}"), ds("snowflake", f"analytics.raw.t{i:05d}")
        job = f"urn:li:dataJob:({flow},load_t{i:05d})"
        raw.append(wh)
        raw_by_domain[i % domains].append(wh)
        yield pg, "datasetProperties", {"name": f"t{i:05d}", "customProperties": {}, "tags": []}
        yield wh, "datasetProperties", {"name": f"T{i:05d}", "customProperties": {}, "tags": []}
        yield job, "dataJobInfo", {"name": f"load_t{i:05d}", "type": "COMMAND", "customProperties": {}}
        yield job, "dataJobInputOutput", {"inputDatasets": [pg], "outputDatasets": [wh]}
    previous = raw_by_domain
    assertions: list[tuple[str, str, bool]] = []
    owners = [f"urn:li:corpGroup:team_{k}" for k in range(20)]
    for layer in range(LAYERS):
        current: list[list[str]] = [[] for _ in range(domains)]
        flat = [u for part in previous for u in part]
        for i in range(per_layer):
            name = f"m{layer:02d}_{i:05d}"
            dbt, wh = (
                ds("dbt", f"analytics.l{layer:02d}.{name}"),
                ds("snowflake", f"analytics.l{layer:02d}.{name}"),
            )
            current[i % domains].append(wh)
            ups = _upstreams(rng, previous, flat, i % domains, shape)
            yield (
                dbt,
                "datasetProperties",
                {
                    "name": name,
                    "description": f"layer {layer} model {i}",
                    "customProperties": {},
                    "tags": [],
                },
            )
            yield dbt, "subTypes", {"typeNames": ["Model"]}
            yield dbt, "upstreamLineage", {"upstreams": [{"dataset": u, "type": "TRANSFORMED"} for u in ups]}
            yield dbt, "siblings", {"siblings": [wh], "primary": True}
            yield dbt, "ownership", {"owners": [{"owner": rng.choice(owners), "type": "TECHNICAL_OWNER"}]}
            yield wh, "datasetProperties", {"name": name.upper(), "customProperties": {}, "tags": []}
            yield wh, "siblings", {"siblings": [dbt], "primary": False}
            yield wh, "upstreamLineage", {"upstreams": [{"dataset": dbt, "type": "COPY"}]}
            assertions.append((f"urn:li:assertion:dbt-{name}", dbt, rng.random() < 0.01))
        previous = current
    for i in range(sources):
        assertions.append((f"urn:li:assertion:dmf-t{i:05d}", raw[i], rng.random() < 0.01))
    charts = []
    for i in range(max(per_layer // 4, 10)):
        chart = f"urn:li:chart:(looker,dashboard_elements.{i})"
        charts.append(chart)
        yield (
            chart,
            "chartInfo",
            {
                "title": f"Chart {i}",
                "description": f"metric {i}",
                "lastModified": {"created": {"time": 0, "actor": "urn:li:corpuser:unknown"}},
                "inputs": [rng.choice(previous[(i // 10) % domains])],  # a dashboard's charts: one domain
                "customProperties": {},
            },
        )
    for d in range(0, len(charts), 10):
        dash = f"urn:li:dashboard:(looker,dashboards.{d // 10})"
        yield (
            dash,
            "dashboardInfo",
            {
                "title": f"Sales {d // 10}",
                "description": "sales numbers",
                "lastModified": {"created": {"time": 0, "actor": "urn:li:corpuser:unknown"}},
                "charts": charts[d : d + 10],
                "customProperties": {},
            },
        )
    for urn, entity, _fails in assertions:
        is_dbt = "dbt" in urn
        info: dict[str, Any] = {"type": "CUSTOM", "customProperties": {}}
        if is_dbt:
            name = "not_null_" + entity.rsplit(".", 1)[1].split(",")[0] + "_id"
            info["customAssertion"] = {
                "type": "dbt",
                "entity": entity,
                "nativeType": name,
                "operator": "NOT_NULL",
            }
            info["customProperties"] = {"dbt_unique_id": f"test.shop.{name}.0"}
        else:
            info["customAssertion"] = {"type": "Snowflake Data Metric Function", "entity": entity}
            info["customProperties"] = {"snowflake_dmf_name": "NULL_COUNT"}
        yield urn, "assertionInfo", info
    for k in range(RUNS_PER_ASSERTION):
        for urn, entity, fails in assertions:
            failed = fails and k == RUNS_PER_ASSERTION - 1
            native = {"failures": "7", "message": "Got 7 results"} if failed else {}
            yield (
                urn,
                "assertionRunEvent",
                {
                    "timestampMillis": T0 + k * DAY,
                    "runId": f"inv-{k}",
                    "asserteeUrn": entity,
                    "assertionUrn": urn,
                    "status": "COMPLETE",
                    "result": {"type": "FAILURE" if failed else "SUCCESS", "nativeResults": native},
                },
            )


def build(path: Path, n_datasets: int, seed: int = 7, shape: str = "domains") -> dict[str, Any]:
    """Write the catalog into a new Lite file in one transaction; returns counts and the time.

    Rows go in with `executemany` in large batches; a run event's version-0 row (Lite's "last written"
    copy, which our read model's triggers index) is written once, for its last event, not per event.
    """
    from oncall.catalog.lite import LiteCatalog

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    LiteCatalog(tmp, create=True).close()  # Lite's tables plus our read model and its triggers
    started = time.perf_counter()
    conn = sqlite3.connect(tmp)
    versions: dict[str, int] = {}
    counts = {"aspects": 0, "run_events": 0}
    system = json.dumps({"lastObserved": T0, "runId": "bench"})
    insert = (
        "INSERT OR REPLACE INTO metadata_aspect_v2 (urn, aspect_name, version, metadata, "
        f"system_metadata, createdon) VALUES (?, ?, ?, ?, '{system}', 0)"
    )
    rows: list[tuple[str, str, int, str]] = []
    with conn:
        for urn, name, value in _aspects(n_datasets, seed, shape):
            text = json.dumps(value)
            if name == "assertionRunEvent":  # timeseries: one version per event, v0 = last written
                version = versions.get(urn, 0) + 1
                versions[urn] = version
                rows.append((urn, name, version, text))
                if version == RUNS_PER_ASSERTION:
                    rows.append((urn, name, 0, text))
                counts["run_events"] += 1
            else:
                rows += [(urn, name, 1, text), (urn, name, 0, text)]
                counts["aspects"] += 1
            if len(rows) >= 20_000:
                conn.executemany(insert, rows)
                rows.clear()
        conn.executemany(insert, rows)
    datasets = conn.execute(
        "SELECT count(DISTINCT urn) FROM metadata_aspect_v2 WHERE urn LIKE 'urn:li:dataset:%'"
    ).fetchone()[0]
    conn.close()
    tmp.replace(path)
    return {
        "datasets": datasets,
        "aspects": counts["aspects"],
        "run_events": counts["run_events"],
        "build_s": round(time.perf_counter() - started, 1),
    }


def _config(home: Path, **settings: Any) -> Any:
    from oncall.config import load_config

    # No platform instances: production is every dataset, the baseline each assertion's history.
    return load_config(home, environ={}, production_instance="", baseline_instance="", **settings)


def _semantic_index(catalog: Any, config: Any) -> dict[str, Any]:
    """The semantic index `oncall ingest` would have built, kept beside the cached catalog (built once,
    about 25 s at 100k); then forgotten by this process, so the first run reads it as a new one does."""
    from oncall.catalog import vectors

    started = time.perf_counter()
    stored = vectors.SemanticIndex.load(config.vectors_dir)
    built = stored is None or stored.catalog_version != catalog.entities_version()
    if built:
        vectors.refresh(catalog, config.vectors_dir)
    vectors._cache.clear()
    return {"index_built_s": round(time.perf_counter() - started, 1)} if built else {"index_cached": True}


def lite_run(path: Path, runs: int, first_runs: int = 3) -> dict[str, Any]:
    """In-process latency of one offline dry run on the big catalog, each timed with opening its handle:
    the median first run on a new handle with nothing read yet (no warm-start file, the semantic index
    forgotten, as the first process after an ingest), the median first run on a new handle that takes
    the warm-start file the handle before it left (as a later `oncall run` process), and the median of
    `runs` re-runs on the last handle, with its phases."""
    from oncall.agents import run_incident_sync
    from oncall.catalog import lite_warm, vectors
    from oncall.catalog.lite import LiteCatalog

    home = path.with_name(f"{path.stem}_home")  # the semantic index lives in the home, as a user's does
    config = _config(home)
    with LiteCatalog(path, read_only=True) as catalog:
        index = _semantic_index(catalog, config)

    def first_run() -> tuple[float, LiteCatalog, Any]:
        vectors._cache.clear()
        started = time.perf_counter()
        catalog = LiteCatalog(path, read_only=True)
        result = run_incident_sync("sales 0 dashboard wrong", config=config, catalog=catalog, dry_run=True)
        return time.perf_counter() - started, catalog, result

    colds: list[float] = []
    warms: list[float] = []
    for timings in (colds, warms):
        for _ in range(first_runs):
            if timings is colds:
                lite_warm.warm_path(path).unlink(missing_ok=True)
            wall, catalog, result = first_run()
            timings.append(wall)
            catalog.close()  # leaves the warm-start file for the next handle
    walls: list[float] = []
    with LiteCatalog(path, read_only=True) as catalog:
        for _ in range(runs + 1):
            started = time.perf_counter()
            result = run_incident_sync(
                "sales 0 dashboard wrong", config=config, catalog=catalog, dry_run=True
            )
            walls.append(time.perf_counter() - started)
    walls = walls[1:]  # the first of these took the warm-start file; the rest are re-runs
    assert result is not None and result.symptom is not None, "no symptom found"
    return {
        "run_median_ms": round(statistics.median(walls) * 1000),
        "first_run_ms": round(statistics.median(colds) * 1000),
        "first_runs_ms": [round(w * 1000) for w in colds],
        "warm_first_run_ms": round(statistics.median(warms) * 1000),
        "warm_first_runs_ms": [round(w * 1000) for w in warms],
        "warm_file_kb": round(lite_warm.warm_path(path).stat().st_size / 1024),
        "symptom": result.symptom.urn,
        "scope": len(result.scope),
        "diffed_assertions": len(result.diff),
        "origins": len(result.origins),
        "blast_radius": len(result.blast_radius),
        "phases_ms_last_run": result.timings_ms,
        **index,
    }


def after_write_run(path: Path, runs: int) -> dict[str, Any]:
    """The watcher's case: runs on one handle that write (incidents, tags), each
    right after one that wrote. On a private copy of the cached catalog (its incidents stay out of
    the cache). The first writing run creates the incidents; each later one updates them."""
    import shutil

    from oncall.agents import run_incident_sync
    from oncall.catalog import vectors
    from oncall.catalog.lite import LiteCatalog

    config = _config(path.with_name(f"{path.stem}_home"))
    with tempfile.TemporaryDirectory(dir=OUT) as tmp:
        copy = Path(tmp) / path.name
        shutil.copyfile(path, copy)
        vectors._cache.clear()
        walls: list[float] = []
        writes = 0
        with LiteCatalog(copy) as catalog:
            for k in range(runs + 1):
                started = time.perf_counter()
                result = run_incident_sync("sales 0 dashboard wrong", config=config, catalog=catalog)
                if k:  # the first one follows no write
                    walls.append(time.perf_counter() - started)
                writes += len(result.writes)
    return {
        "after_write_median_ms": round(statistics.median(walls) * 1000),
        "after_write_runs_ms": [round(w * 1000) for w in walls],
        "writes": writes,
        "phases_ms_last_run": result.timings_ms,
    }


def longest_chain(spans: list[tuple[float, float, str]]) -> list[str]:
    """The documents of the longest chain of requests each sent after the one before it had answered
    (requests in flight together count once): its length is the run's sequential round trips."""
    ordered = sorted(spans, key=lambda s: s[1])
    best: list[int] = []
    before: list[int] = []
    for i, (start, _end, _name) in enumerate(ordered):
        length, j = max(((best[j], j) for j in range(i) if ordered[j][1] <= start), default=(0, -1))
        best.append(length + 1)
        before.append(j)
    chain: list[str] = []
    i = max(range(len(ordered)), key=best.__getitem__, default=-1)
    while i >= 0:
        chain.append(ordered[i][2])
        i = before[i]
    return chain[::-1]


def _runs_of(chain: list[str]) -> list[str]:
    """`a, a, a, b` as `a x3, b`: the chain at a glance."""
    runs = [(name, len(list(group))) for name, group in itertools.groupby(chain)]
    return [name if times == 1 else f"{name} x{times}" for name, times in runs]


def _gms_run(url: str, config: Any) -> dict[str, Any]:
    """One dry run through a new adapter (nothing remembered from a run before): its requests."""
    from tests.catalog.gms_standin import timed_requests

    from oncall.agents import run_incident_sync
    from oncall.catalog.gms import GmsCatalog

    catalog = GmsCatalog(url, timeout_s=600, write_retries=0)  # a slow stand-in, not timed
    spans = timed_requests(catalog)
    try:
        result = run_incident_sync("sales 0 dashboard wrong", config=config, catalog=catalog, dry_run=True)
    finally:
        catalog.close()
    chain = longest_chain(spans)
    by_doc = dict(collections.Counter(name for _start, _end, name in spans))
    return {
        "graphql_requests": len(spans),
        "sequential_round_trips": len(chain),
        "chain": _runs_of(chain),
        "by_document": by_doc,
        "symptom": result.symptom.urn if result.symptom else None,
        "diffed_assertions": len(result.diff),
    }


def gms_requests(
    n_datasets: int, repeats: int = 3, *, latency_ms: float = 0.0, page_divisor: int = 1, workers: int = 1
) -> dict[str, Any]:
    """GraphQL requests of offline dry runs against the stand-in serving a smaller catalog: the first
    in a new home (it builds the semantic index from the server), then one with the index kept; in
    `repeats` new homes. The round trips are a longest chain in time, so requests that race each
    other can add or save one: the median is the figure, every run's count is kept beside it.

    `latency_ms` makes every request wait that long on the stand-in and `page_divisor` divides the
    adapter's page sizes (and the entities a run may index): together they model a bigger catalog on
    a server that serves requests side by side (20,000 datasets with pages of 1,000 and 2,000 have the
    pages of 100,000 with 5,000 and 10,000), where the in-process stand-in serves concurrent requests
    one at a time on one GIL.
    """
    sys.path.insert(0, str(ROOT))
    from tests.catalog.gms_standin import Store, load_schema

    from oncall.catalog import gms, vectors

    schema = load_schema(ROOT.parent / "shared" / "datahub" / "graphql")
    firsts, laters = [], []
    pages = gms._PAGE, gms._LIGHT_PAGE
    gms._PAGE, gms._LIGHT_PAGE = (size // page_divisor for size in pages)
    # The entities a run may index grow smaller with the pages, or a modelled first run would list
    # page after page of a catalog that, full size, it stops listing after one.
    index_defaults = vectors.ensure_index.__kwdefaults__
    assert index_defaults is not None  # ensure_index takes keyword-only arguments
    limit = index_defaults["rebuild_limit"]
    index_defaults["rebuild_limit"] = limit // page_divisor
    try:
        with tempfile.TemporaryDirectory() as tmp:
            small = Path(tmp) / "small.db"
            build(small, n_datasets)
            with _serving(schema, Store.from_lite(small), workers, latency_ms / 1000) as url:
                for k in range(repeats):
                    home = Path(tmp) / f"home{k}"
                    home.mkdir()
                    config = _config(home, catalog="gms", gms_url=url)
                    firsts.append(_gms_run(url, config))
                    laters.append(_gms_run(url, config))
    finally:
        gms._PAGE, gms._LIGHT_PAGE = pages
        index_defaults["rebuild_limit"] = limit
    model = {"latency_ms": latency_ms, "page_divisor": page_divisor} if latency_ms or page_divisor > 1 else {}
    model |= {"workers": workers} if workers > 1 else {}
    return {"datasets": n_datasets, **model, **_median_run(firsts), "index_kept": _median_run(laters)}


@contextlib.contextmanager
def _serving(schema: Any, store: Any, workers: int, latency_s: float) -> Iterator[str]:
    """The stand-in's URL: served in this process, or by `workers` processes forked with the store
    built, on one port (the kernel spreads the connections), so that requests in flight together are
    served side by side, as a server does, and not one at a time on this process's GIL."""
    from tests.catalog.gms_standin import GmsStandin

    if workers <= 1:
        with GmsStandin(schema, store) as server:
            server.latency_s = latency_s
            yield server.url
        return
    probe = socket.socket()
    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    probe.bind(("127.0.0.1", 0))  # a free port, held: bound, not listening, it takes no connection
    port = probe.getsockname()[1]
    fork = multiprocessing.get_context("fork")
    stop = fork.Event()
    ready = [fork.Event() for _ in range(workers)]

    def serve(ready: Any) -> None:
        with GmsStandin(schema, store, port=port, reuse_port=True) as server:
            server.latency_s = latency_s
            ready.set()
            stop.wait()

    procs = [fork.Process(target=serve, args=(r,), daemon=True) for r in ready]
    for proc in procs:
        proc.start()
    try:
        for r in ready:
            if not r.wait(120):
                raise RuntimeError("a stand-in worker did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        probe.close()
        stop.set()
        for proc in procs:
            proc.join(10)
            if proc.is_alive():
                proc.terminate()


def _median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median round trips, and every run's round trips."""
    counts = [r["sequential_round_trips"] for r in runs]
    middle = sorted(runs, key=lambda r: r["sequential_round_trips"])[len(runs) // 2]
    return {**middle, "sequential_round_trips_runs": counts}


def _lite_figures(args: argparse.Namespace, shape: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The cached (or newly built) catalog of this shape, and the runs on it."""
    path = OUT / f"any_datahub_{args.datasets}_{shape}_v{FORMAT}.db"
    sidecar = path.with_suffix(".json")  # the build's figures, kept beside the cached file
    if args.rebuild or not path.exists() or not sidecar.exists():
        print(f"building {args.datasets:,} datasets ({shape}) into {path} ...", file=sys.stderr)
        built = build(path, args.datasets, shape=shape)
        sidecar.write_text(json.dumps(built), encoding="utf-8")
    else:
        built = {**json.loads(sidecar.read_text(encoding="utf-8")), "cached": True}
    figures = lite_run(path, args.runs)
    if not args.skip_writes:
        figures["after_write"] = after_write_run(path, args.runs)
    return {**built, "shape": shape}, figures


def cpu_reference_ms() -> float:
    """The median of three runs of a fixed pure-Python loop: this VM's speed varies by up to 3x between
    sessions (the same run measured 1.17 s, then 3.2 s), so figures are compared next to this one."""
    walls = []
    for _ in range(3):
        started = time.perf_counter()
        total = 0
        for i in range(2_000_000):
            total += i
        walls.append(time.perf_counter() - started)
    return round(statistics.median(walls) * 1000, 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--datasets", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--gms-datasets", type=int, default=3000)
    parser.add_argument("--skip-gms", action="store_true")
    parser.add_argument(
        "--gms-latency-ms",
        type=float,
        default=0.0,
        help="every stand-in request waits this long (a server that serves requests side by side)",
    )
    parser.add_argument(
        "--gms-page-divisor",
        type=int,
        default=1,
        help="divide the adapter's page sizes (with --gms-latency-ms: a bigger catalog's page structure)",
    )
    parser.add_argument(
        "--gms-workers",
        type=int,
        default=1,
        help="serve the stand-in from this many forked processes on one port (requests side by side)",
    )
    parser.add_argument("--skip-lite", action="store_true", help="only the GMS stand-in runs")
    parser.add_argument(
        "--skip-writes", action="store_true", help="skip the runs that write (on a copy of the catalog)"
    )
    parser.add_argument(
        "--shape",
        choices=(*SHAPES, "both"),
        default="both",
        help="lineage shape: domains (the headline), mesh (the worst case) or both",
    )
    parser.add_argument("--rebuild", action="store_true", help="regenerate the cached catalog")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    figures: dict[str, Any] = {"load_before": os.getloadavg()[0], "cpu_reference_ms": cpu_reference_ms()}
    for shape in () if args.skip_lite else SHAPES if args.shape == "both" else (args.shape,):
        suffix = "" if shape == "domains" else f"_{shape}"  # keys: lite, build; lite_mesh, build_mesh
        figures[f"build{suffix}"], figures[f"lite{suffix}"] = _lite_figures(args, shape)
    if not args.skip_gms:
        figures["gms"] = gms_requests(
            args.gms_datasets,
            latency_ms=args.gms_latency_ms,
            page_divisor=args.gms_page_divisor,
            workers=args.gms_workers,
        )
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for key, value in figures.items():
            print(f"{key}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
