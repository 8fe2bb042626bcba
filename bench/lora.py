"""Benchmark: the Detective's symptom pick on the paraphrase set's held-out part, three ways.

    python bench/lora.py --home DIR --adapter FILE [--world olist] [--json]

(a) the deterministic ranking (no model); (b) the base small model (SmolLM2-135M-Instruct on the local
llama.cpp server) picking among the ranked candidates, as the `local` preset's Detective does; (c) the
tuned Detective: the LoRA adapter from `oncall train detective`, asked with the incident text alone.
Each counts the held-out phrasings whose pick is the entity meant, and times the model call per text
(median, max). The home must hold the world the adapter was trained on (`oncall setup`, then
`oncall train export --paraphrases tests/agents/paraphrases` and `oncall train detective`); runs work
on a copy. The whole eval with the tuned Detective is `ONCALL_LLM_DETECTIVE_LORA=FILE oncall eval`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from oncall.agents._runtime import RunContext
from oncall.agents.detective import investigate
from oncall.catalog import open_catalog
from oncall.config import Config, load_config
from oncall.events import RunEvents
from oncall.llm import load_models
from oncall.llm.local import stop_servers

ROOT = Path(__file__).resolve().parents[1]
BASE_DETECTIVE = {"base_url": "local://", "model": "local", "profile": "llamacpp", "max_tokens": 384}
"""The base model as the Detective's, with the `local` preset's answer length."""


def _phrasings(world: str) -> list[Any]:
    sys.path.insert(0, str(ROOT))  # the paraphrase sets live with the tests
    from tests.agents.paraphrases import load

    return load(world, "held_out")


def _means(urn: str | None, p: Any, names: dict[str, str]) -> bool:
    return urn is not None and urn.startswith(f"urn:li:{p.type}:") and names.get(urn) == p.name


def measure(config: Config, phrasings: list[Any], label: str) -> dict[str, Any]:
    """Symptom accuracy and per-call model latency of the Detective configured in `config`."""
    models = load_models(config) if label != "ranking" else None
    catalog = open_catalog(config, read_only=True)
    right, misses, ms, decided = 0, [], [], {"model": 0, "procedure": 0}
    try:
        names = {urn: catalog.get(urn).name for urn in catalog.list_urns()}
        for p in phrasings:
            ctx = RunContext(config=config, catalog=catalog, events=RunEvents("bench-lora"), models=models)
            started = time.perf_counter()
            report = asyncio.run(investigate(ctx, p.text))
            elapsed = (time.perf_counter() - started) * 1000
            urn = report.symptom.urn if report.symptom else None
            decided[ctx.decided_by.get("symptom", "procedure")] += 1
            if models is not None:
                ms.append(round(sum(e - s for _, s, e in ctx.model_steps) * 1000, 1))
            else:
                ms.append(round(elapsed, 1))
            if _means(urn, p, names):
                right += 1
            else:
                got = f"{urn.split(':')[2]} {names.get(urn, urn)}" if urn else "nothing"
                misses.append({"text": p.text, "expected": f"{p.type} {p.name}", "picked": got})
    finally:
        catalog.close()
    return {
        "right": right,
        "phrasings": len(phrasings),
        "accuracy": round(right / len(phrasings), 4),
        "decided_by_model": decided["model"],
        "ms_median": statistics.median(ms),
        "ms_max": max(ms),
        "misses": misses,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", required=True, help="A set-up home (the world the adapter learned).")
    parser.add_argument("--adapter", required=True, help="The GGUF LoRA (detective-lora.gguf).")
    parser.add_argument("--world", default="olist", help="Which paraphrase set: olist or dbt.")
    parser.add_argument("--port", type=int, default=8790, help="llm_local_port for the two servers.")
    parser.add_argument("--only", default="ranking,base_model,lora", help="Comma-separated subset.")
    parser.add_argument(
        "--base-timeout",
        type=float,
        default=60.0,
        help="Seconds per call of the base model (its long prompt).",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    phrasings = _phrasings(args.world)
    figures: dict[str, Any] = {"world": args.world, "load_average_at_start": round(os.getloadavg()[0], 1)}
    with tempfile.TemporaryDirectory(prefix="oncall-bench-lora-") as name:
        home = Path(name) / "home"
        shutil.copytree(args.home, home, ignore=shutil.ignore_patterns("runs", "train"))
        env: dict[str, str] = {}
        try:
            base: dict[str, Any] = {"environ": env, "llm_local_port": args.port}
            only = args.only.split(",")
            if "ranking" in only:
                figures["ranking"] = measure(load_config(home, **base), phrasings, "ranking")
            if "base_model" in only:
                detective = {**BASE_DETECTIVE, "timeout_s": args.base_timeout}
                config = load_config(home, llm={"detective": detective}, **base)
                figures["base_model"] = measure(config, phrasings, "base")
            if "lora" in only:
                lora = load_config(home, llm_detective_lora=str(Path(args.adapter).resolve()), **base)
                figures["lora"] = measure(lora, phrasings, "lora")
        finally:
            stop_servers()
    figures["load_average_at_end"] = round(os.getloadavg()[0], 1)
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(f"held-out paraphrases ({args.world}, {len(phrasings)}): symptom accuracy and model time per text")
    for key in [k for k in ("ranking", "base_model", "lora") if k in figures]:
        f = figures[key]
        print(
            f"  {key:11} {f['right']}/{f['phrasings']} ({f['accuracy']:.0%}), model decided "
            f"{f['decided_by_model']}, {f['ms_median']:.0f} ms median ({f['ms_max']:.0f} max)"
        )
        for miss in f["misses"]:
            print(f"      miss: {miss['text']!r}: expected {miss['expected']}, got {miss['picked']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
