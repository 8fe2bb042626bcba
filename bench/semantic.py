"""Benchmark of the Detective's semantic ranking: accuracy on the paraphrase sets, latency, index cost.

    python bench/semantic.py [--scale 0.05] [--datasets 100000] [--reps 20] [--accuracy-only] [--json]

Prints:
- symptom accuracy on the paraphrase sets (tests/agents/paraphrases/) of both worlds, the Olist demo and
  the dbt world (built for real with dbt-duckdb and ingested as `oncall ingest` does; `--no-dbt` skips
  it), the tuning part and the frozen held-out part separately, with every miss (what was expected,
  what was picked);
- the offline `run` in process (dry run, so each repetition is the same work) on the demo world with
  semantic ranking: the first run of a process (index from disk; the model loads if a word needs it),
  then the median of re-runs, for a text of catalog words, one with typos and one with words the catalog
  never uses (target: <= 100 ms);
- the semantic index of the demo catalog plus N synthetic datasets: build time, size on disk, load
  time, and the semantic work of one run at that scale (fingerprint, reading the text, nearest
  entities, closeness of candidates); with --lite-datasets M, whole runs on a Lite catalog grown by M
  datasets (target for the run: <= 1.5 s at 100,000; growing Lite takes minutes per 10,000).
"""

from __future__ import annotations

import argparse
import json
import os
import random
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
from oncall.agents.candidates import search_candidates
from oncall.agents.detective import procedure_pick
from oncall.agents.ranking import rank_entities, understand
from oncall.bootstrap import setup
from oncall.catalog import Catalog, Entity, SchemaField, open_catalog
from oncall.catalog.vectors import SemanticIndex, refresh, urn_digest
from oncall.config import Config, load_config
from oncall.world.build import build_world
from oncall.world.urns import dataset_urn

ROOT = Path(__file__).resolve().parents[1]
PROD = "olist_dirty"
TEXTS = {
    "catalog words": "revenue dashboard wrong",
    "typos": "the revnue dashbord is broken",
    "words the catalog never uses": "vendor table lost rows",
}
_DOMAINS = [
    "sales",
    "finance",
    "marketing",
    "logistics",
    "support",
    "product",
    "billing",
    "growth",
    "risk",
    "inventory",
]
_THINGS = [
    "orders",
    "customers",
    "invoices",
    "shipments",
    "tickets",
    "campaigns",
    "refunds",
    "subscriptions",
    "payments",
    "sessions",
    "accounts",
    "contracts",
    "leads",
    "returns",
    "suppliers",
    "warehouses",
    "events",
    "budgets",
    "forecasts",
    "claims",
]
_STAGES = ["raw", "staging", "clean", "daily", "weekly", "monthly", "snapshot", "summary"]


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def _timed(work: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = work()
    return time.perf_counter() - started, value


def accuracy(config: Config, world: str = "olist", production: str | None = PROD) -> dict[str, Any]:
    """Symptom accuracy of the offline procedure on each part of one world's paraphrase sets.

    Olist: the entity of that name in the production instance. dbt: the model of that name, either
    URN of its sibling pair (the dbt node or its warehouse table).
    """
    sys.path.insert(0, str(ROOT))  # the paraphrase sets live with the tests
    from tests.agents.paraphrases import load

    catalog = open_catalog(config, read_only=True)
    try:
        urns = catalog.list_urns(instance=production) if production else catalog.list_urns()
        names = {urn: _name(catalog.get(urn).name, urn, world) for urn in urns}
        out: dict[str, Any] = {}
        for part in ("tuning", "held_out"):
            items = load(world, part)
            misses = [m for m in (_miss(catalog, config, p, names, production) for p in items) if m]
            out[part] = {
                "phrasings": len(items),
                "right": len(items) - len(misses),
                "accuracy": round(1 - len(misses) / len(items), 4),
                "misses": misses,
            }
        return out
    finally:
        catalog.close()


def _name(name: str, urn: str, world: str) -> str:
    if world != "dbt":
        return name
    from oncall.eval.dbt_world import node_name

    return node_name(urn)


def _miss(
    catalog: Catalog, config: Config, p: Any, names: dict[str, str], production: str | None
) -> dict[str, str] | None:
    found = search_candidates(catalog, p.text, production_instance=production, vectors_dir=config.vectors_dir)
    ranked = rank_entities(
        p.text,
        found.entities,
        production_instance=production,
        catalog_scores=found.scores,
        meaning=found.meaning,
    )
    top = procedure_pick(ranked)
    got = f"{top.ref.type} {names.get(top.ref.urn, top.ref.name)}" if top else "nothing"
    if top and top.ref.urn.startswith(f"urn:li:{p.type}:") and names.get(top.ref.urn) == p.name:
        return None
    return {"text": p.text, "kind": p.kind, "expected": f"{p.type} {p.name}", "picked": got}


def dbt_accuracy(tmp: Path) -> dict[str, Any]:
    """The dbt world built for real (dbt-duckdb), both runs ingested as `oncall ingest` does, then its
    paraphrase sets: the catalog has no platform instance, so no production twin is preferred."""
    from oncall.bootstrap import refresh_vectors
    from oncall.catalog.recipes import run_recipe
    from oncall.world.dbt import build_dbt_world

    home = tmp / "dbt"
    summary = build_dbt_world(home)
    config = load_config(home, environ={})
    for run in summary.runs:
        run_recipe(config, Path(run.recipe))
    catalog = open_catalog(config)
    try:
        refresh_vectors(config, catalog)
    finally:
        catalog.close()
    return accuracy(config, "dbt", None)


def run_latency(config: Config, reps: int) -> dict[str, Any]:
    """First run and re-run median of the offline loop (dry run) per kind of text, in process."""
    catalog = open_catalog(config)
    out: dict[str, Any] = {}
    try:
        for label, text in TEXTS.items():

            def once(text: str = text) -> Any:
                return run_incident_sync(text, config=config, catalog=catalog, dry_run=True)

            def detective(text: str = text) -> Any:
                found = search_candidates(
                    catalog, text, production_instance=PROD, vectors_dir=config.vectors_dir
                )
                ranked = rank_entities(text, found.entities, production_instance=PROD, meaning=found.meaning)
                return procedure_pick(ranked)

            first, result = _timed(once)
            again = [_timed(once)[0] for _ in range(reps)]

            def letters(text: str = text) -> Any:
                found = search_candidates(catalog, text, production_instance=PROD)
                return procedure_pick(rank_entities(text, found.entities, production_instance=PROD))

            picks = [_timed(detective)[0] for _ in range(reps)]
            lexical = [_timed(letters)[0] for _ in range(reps)]
            out[label] = {
                "text": text,
                "symptom": result.symptom.name if result.symptom else None,
                "first_run_ms": _ms(first),
                "rerun_median_ms": _ms(statistics.median(again)),
                "detective_ms": _ms(statistics.median(picks)),
                "detective_letters_only_ms": _ms(statistics.median(lexical)),
                "command_wall_ms": _command_ms(config, text),
            }
    finally:
        catalog.close()
    return out


def _command_ms(config: Config, text: str) -> float:
    """`oncall run TEXT --dry-run --json` as a fresh process (this tree's code): the model loads there."""
    argv = [sys.executable, "-c", "from oncall.cli import main; main()", "run", text, "--dry-run", "--json"]
    wall, done = _timed(
        lambda: subprocess.run(
            [*argv, "--home", str(config.home)], capture_output=True, text=True, check=False
        )
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return _ms(wall)


def _synthetic(n: int, seed: int) -> list[tuple[str, str, str, list[str]]]:
    """N datasets as (urn, name, description, columns): a warehouse's worth, not the demo."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        domain, thing, stage = rng.choice(_DOMAINS), rng.choice(_THINGS), rng.choice(_STAGES)
        name = f"{domain}_{thing}_{stage}_{i:06d}"
        about = f"{stage.capitalize()} {thing} of the {domain} team, partition {i % 97}."
        cols = [f"{thing[:-1]}_id", f"{domain}_region", "created_at", rng.choice(_THINGS)[:-1] + "_amount"]
        out.append((dataset_urn("warehouse", name), name, about, cols))
    return out


def _entities(rows: list[tuple[str, str, str, list[str]]]) -> list[Entity]:
    return [
        Entity(
            urn=urn,
            type="dataset",
            name=name,
            platform="sqlite",
            instance="warehouse",
            description=about,
            fields=[SchemaField(path=c) for c in cols],
        )
        for urn, name, about, cols in rows
    ]


def _mcps(rows: list[tuple[str, str, str, list[str]]]) -> list[Any]:
    import datahub.metadata.schema_classes as m
    from datahub.emitter.mcp import MetadataChangeProposalWrapper as MCPW

    out: list[Any] = []
    for urn, name, about, cols in rows:
        fields = [
            m.SchemaFieldClass(
                fieldPath=c, type=m.SchemaFieldDataTypeClass(type=m.StringTypeClass()), nativeDataType="TEXT"
            )
            for c in cols
        ]
        schema = m.SchemaMetadataClass(
            schemaName=name,
            platform="urn:li:dataPlatform:sqlite",
            version=0,
            hash="",
            platformSchema=m.OtherSchemaClass(rawSchema=""),
            fields=fields,
        )
        out += [
            MCPW(entityUrn=urn, aspect=m.DatasetPropertiesClass(name=name, description=about)),
            MCPW(entityUrn=urn, aspect=schema),
        ]
    return out


def index_at_scale(config: Config, n: int, reps: int) -> dict[str, Any]:
    """The semantic index of the demo catalog plus N synthetic datasets, and its share of a run.

    The semantic work of a run is: the fingerprint (a hash of the catalog's URN list), the index (from
    memory, or from disk in a fresh process), reading the text (typos, stand-ins, its vector), the
    nearest entities and the closeness of the candidates. Timed here on the index itself; the catalog's
    own search at that scale is the `catalog` bench's subject.
    """
    catalog = open_catalog(config, read_only=True)
    try:
        demo = [catalog.get(u) for u in catalog.list_urns()]
    finally:
        catalog.close()
    entities = demo + _entities(_synthetic(n, seed=7))
    build_s, index = _timed(lambda: SemanticIndex.from_entities(entities, fingerprint="bench"))
    with tempfile.TemporaryDirectory(prefix="oncall-vectors-") as tmp:
        where = Path(tmp)
        save_s, _ = _timed(lambda: index.save(where))
        size = sum(p.stat().st_size for p in where.iterdir())
        load_s, loaded = _timed(lambda: SemanticIndex.load(where))
        assert loaded is not None
        urns = sorted(index.urns)
        fingerprint_s = statistics.median(_timed(lambda: urn_digest(urns))[0] for _ in range(5))
        per_text = {}
        for label, text in TEXTS.items():
            candidates = index.urns[:20]

            def read(text: str = text, candidates: list[str] = candidates) -> Any:
                meaning = understand(text, loaded)
                return meaning.nearest(6), meaning.closeness(candidates)

            first, _ = _timed(read)
            per_text[label] = {
                "first_ms": _ms(first),
                "median_ms": _ms(statistics.median(_timed(read)[0] for _ in range(reps))),
            }
    return {
        "entities indexed": len(index.urns),
        "vocabulary words": len(index.vocab),
        "vector build s": round(build_s, 2),
        "save s": round(save_s, 2),
        "vector size MB": round(size / 1e6, 1),
        "load from disk ms": _ms(load_s),
        "fingerprint of the URN list ms": _ms(fingerprint_s),
        "semantic work per run": per_text,
    }


def run_at_scale(config: Config, n: int, reps: int) -> dict[str, Any]:
    """The whole offline run on the demo catalog grown through Lite by N synthetic datasets (slow to grow)."""
    from oncall.catalog.lite import LiteCatalog

    catalog = LiteCatalog(config.lite_path)
    try:
        grow_s, _ = _timed(lambda: catalog.emit(_mcps(_synthetic(n, seed=7))))
        build_s, _ = _timed(lambda: refresh(catalog, config.vectors_dir))
    finally:
        catalog.close()
    return {
        "synthetic datasets": n,
        "grow catalog s (not counted)": round(grow_s, 1),
        "vector build from the catalog s": round(build_s, 2),
        "runs": run_latency(config, max(3, reps // 4)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=float, default=0.05, help="demo world scale (default 0.05)")
    parser.add_argument(
        "--datasets", type=int, default=100_000, help="synthetic datasets in the index (default 100000)"
    )
    parser.add_argument(
        "--lite-datasets",
        type=int,
        default=0,
        help="also grow the Lite catalog by this many datasets and time whole runs on it (slow: minutes)",
    )
    parser.add_argument("--reps", type=int, default=20, help="re-runs per text on the demo world")
    parser.add_argument(
        "--accuracy-only",
        action="store_true",
        help="only the paraphrase accuracy (no timings)",
    )
    parser.add_argument(
        "--no-dbt", action="store_true", help="skip the dbt world (it needs dbt-core and dbt-duckdb)"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="oncall-semantic-") as tmp:
        home = Path(tmp) / "home"
        build_world(home, scale=args.scale)
        config = load_config(home, environ={})
        setup(config)
        catalog = open_catalog(config)
        try:
            demo_build_s, demo_index = _timed(lambda: refresh(catalog, config.vectors_dir))
        finally:
            catalog.close()
        results: dict[str, Any] = {
            "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "load_before": round(load_before, 1),
            "accuracy": accuracy(config),
        }
        if not args.no_dbt:
            results["accuracy_dbt"] = dbt_accuracy(Path(tmp))
        if args.accuracy_only:
            _report(results, as_json=args.json)
            return 0
        results["demo"] = {
            "entities indexed": len(demo_index.urns),
            "vocabulary words": len(demo_index.vocab),
            "vector build s": round(demo_build_s, 3),
            "vector size kB": round(sum(p.stat().st_size for p in config.vectors_dir.iterdir()) / 1e3, 1),
            "runs": run_latency(config, args.reps),
        }
        if args.datasets:
            results["index_at_scale"] = index_at_scale(config, args.datasets, args.reps)
        if args.lite_datasets:
            big = Path(tmp) / "big"
            shutil.copytree(home, big)
            results["run_at_scale"] = run_at_scale(
                load_config(big, environ={}), args.lite_datasets, args.reps
            )
    _report(results, as_json=args.json)
    return 0


def _report(results: dict[str, Any], *, as_json: bool) -> None:
    if as_json:
        print(json.dumps(results, indent=2))
    else:
        _print(results)


def _print(results: dict[str, Any]) -> None:
    for world, key in (("olist", "accuracy"), ("dbt", "accuracy_dbt")):
        for part, acc in results.get(key, {}).items():
            print(f"paraphrases, {world} {part}: {acc['right']}/{acc['phrasings']} ({acc['accuracy']:.0%})")
            for miss in acc["misses"]:
                print(
                    f"  miss [{miss['kind']}] {miss['text']!r}: expected {miss['expected']}, "
                    f"got {miss['picked']}"
                )
    if "index_at_scale" in results:
        block = results["index_at_scale"]
        print(
            "index at scale: "
            + ", ".join(f"{k} {v}" for k, v in block.items() if k != "semantic work per run")
        )
        for label, t in block["semantic work per run"].items():
            print(f"  semantic work of a run ({label}): first {t['first_ms']} ms, median {t['median_ms']} ms")
    for where in ("demo", "run_at_scale"):
        if where not in results:
            continue
        block = results[where]
        print(f"{where}: " + ", ".join(f"{k} {v}" for k, v in block.items() if k != "runs"))
        for label, run in block["runs"].items():
            print(
                f"  run ({label}: {run['text']!r} -> {run['symptom']}): first {run['first_run_ms']} ms, "
                f"re-run median {run['rerun_median_ms']} ms (detective {run['detective_ms']} ms, "
                f"letters only {run['detective_letters_only_ms']} ms), "
                f"whole command {run['command_wall_ms']} ms"
            )


if __name__ == "__main__":
    raise SystemExit(main())
