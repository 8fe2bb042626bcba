"""Benchmark: the Detective's symptom pick on the paraphrase set's held-out part, three ways.

    python bench/lora.py --home DIR --adapter FILE [--world olist] [--json]
    python bench/lora.py --world dbt --build DIR --time-budget 720 --eval --json   # all of it

(a) the deterministic ranking (no model); (b) the base small model (SmolLM2-135M-Instruct on the local
llama.cpp server) picking among the ranked candidates, as the `local` preset's Detective does; (c) the
tuned Detective: the LoRA adapter from `oncall train detective`, asked with the incident text alone,
counted twice: its raw answer (`lora_raw`: the URN it named, right or wrong, before any check) and what
the run used (`lora`: the answer after code checked it against the run's evidence, else the ranking).
Each counts the held-out phrasings whose pick is the entity meant, and times the model call per text
(median, max). The home must hold the world the adapter was trained on; runs work on a copy.

`--build DIR` makes that home first (the world at `--scale`, `oncall setup` or the dbt world built and
ingested), exports the training pairs with the paraphrase set held out and trains the adapter within
`--time-budget` (kept: a later `--build DIR` reuses it unless `--retrain`; `--no-scenarios` leaves
the eval scenarios' incidents out of training, so that the eval reads text the model never saw).
`--eval` runs the whole eval of that world with the tuned Detective
(`ONCALL_LLM_DETECTIVE_LORA=FILE oncall eval --world W`) on a frozen copy of the committed sources (an
edit or rebase during the run cannot change what runs).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from oncall.agents._runtime import RunContext
from oncall.agents.detective import in_scope, investigate
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


def _tuned_answer(ctx: RunContext) -> tuple[bool, str | None]:
    """(asked, URN) of the tuned model's raw answer in the run's events."""
    for event in ctx.events.events:
        if "tuned_urn" in event.data:
            return True, event.data["tuned_urn"]
    return False, None


def measure(config: Config, phrasings: list[Any], label: str) -> dict[str, Any]:
    """Symptom accuracy and per-call model latency of the Detective configured in `config`; for the
    tuned Detective also the raw answers' accuracy (`raw_right`) and how many the check refused."""
    models = load_models(config) if label != "ranking" else None
    catalog = open_catalog(config, read_only=True)
    right, misses, ms, decided = 0, [], [], {"model": 0, "procedure": 0}
    raw_right, refused, raw_misses = 0, 0, []
    try:
        entities = catalog.get_many(catalog.list_urns())
        names = {urn: e.name for urn, e in entities.items()}
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
                misses.append({"text": p.text, "expected": f"{p.type} {p.name}", "picked": _said(urn, names)})
            asked, raw = _tuned_answer(ctx)
            raw_ok = _means(raw, p, names) and raw in entities and in_scope(config, entities[raw])
            raw_right += raw_ok
            refused += sum("the tuned model named" in d for d in ctx.degraded)
            if asked and not raw_ok:
                raw_misses.append(
                    {"text": p.text, "expected": f"{p.type} {p.name}", "named": _said(raw, names)}
                )
    finally:
        catalog.close()
    out = {
        "right": right,
        "phrasings": len(phrasings),
        "accuracy": round(right / len(phrasings), 4),
        "decided_by_model": decided["model"],
        "ms_median": statistics.median(ms),
        "ms_max": max(ms),
        "misses": misses,
    }
    if label == "lora":
        out |= {"raw_right": raw_right, "raw_accuracy": round(raw_right / len(phrasings), 4)}
        out |= {"refused_by_check": refused, "raw_misses": raw_misses}
    return out


def _said(urn: str | None, names: dict[str, str]) -> str:
    return f"{urn.split(':')[2]} {names.get(urn, urn)}" if urn else "nothing"


def build(
    world: str, home: Path, scale: float, time_budget: float, retrain: bool, scenarios: bool = True
) -> dict[str, Any]:
    """The world's home, its training pairs (held-out phrasings kept out; the eval scenarios' incidents
    in unless `scenarios` is False) and the trained adapter."""

    def run(*argv: str) -> None:  # their output goes to stderr: stdout is this bench's JSON
        subprocess.run(["oncall", *argv, "--home", str(home)], cwd=ROOT, check=True, stdout=sys.stderr)

    if not (home / "datahub.db").is_file():
        if world == "dbt":
            run("world", "dbt", "build", "--ingest")
        else:
            run("setup", "--scale", str(scale))
    work = home / "train" / "detective"
    if retrain or not (work / "detective-lora.gguf").is_file():
        paraphrases = str(ROOT / "tests" / "agents" / "paraphrases")
        unseen = [] if scenarios else ["--no-scenarios"]
        run("train", "export", "--paraphrases", paraphrases, "--per-entity", "16", *unseen)
        run("train", "detective", "--epochs", "3", "--time-budget", str(time_budget), "--threads", "1")
    return json.loads((work / "training.json").read_text(encoding="utf-8"))


def eval_with_lora(world: str, adapter: Path, scale: float, port: int) -> dict[str, Any]:
    """`oncall eval --world W` with the tuned Detective, on a frozen copy of the committed sources."""
    with tempfile.TemporaryDirectory(prefix="oncall-bench-lora-eval-") as name:
        tmp = Path(name)
        archive = subprocess.run(["git", "archive", "HEAD", "src"], cwd=ROOT, check=True, capture_output=True)
        subprocess.run(["tar", "-x", "-C", str(tmp)], input=archive.stdout, check=True)
        env = {
            **os.environ,
            "PYTHONPATH": str(tmp / "src"),
            "ONCALL_LLM_DETECTIVE_LORA": str(adapter.resolve()),
            "ONCALL_LLM_LOCAL_PORT": str(port),
        }
        cli = "import sys; from oncall.cli import main; sys.exit(main())"
        argv = [sys.executable, "-c", cli, "eval", "--world", world, "--scale", str(scale), "--json"]
        argv += ["--home", str(tmp / "home"), "--out", str(tmp / "out")]
        done = subprocess.run(argv, cwd=tmp, env=env, capture_output=True, text=True)
        if not done.stdout.strip().startswith("{"):
            raise SystemExit(f"oncall eval failed ({done.returncode}):\n{done.stderr[-2000:]}")
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        )
    report = json.loads(done.stdout)
    report = report.get(world, report)  # --world all nests per world; one world may not
    return _eval_summary(report) | {"commit": commit.stdout.strip()}


def _eval_summary(report: dict[str, Any]) -> dict[str, Any]:
    s = report["summary"]
    scores = report["scores"]
    refused = [d for sc in scores for d in sc.get("degraded", []) if "the tuned model named" in d]
    return {
        "scenarios": s["scenarios"],
        "passed": s["passed"],
        "errors": s["errors"],
        "verdict_right": sum(1 for sc in scores if (sc.get("verdict") or {}).get("ok")),
        "verdict_accuracy": s["verdict_accuracy"],
        "symptom_accuracy": s["symptom_accuracy"],
        "detective": s.get("model_roles", {}).get("detective", {}),
        "refused_by_check": len(refused),
        "refused": refused,
        "failed": [
            {"name": sc["name"], "error": sc.get("error"), "symptom": sc["symptom"], "verdict": sc["verdict"]}
            for sc in scores
            if not sc["passed"]
        ],
        "total_s": report.get("total_s"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", help="A set-up home (the world the adapter learned).")
    parser.add_argument(
        "--adapter", help="The GGUF LoRA [default: HOME/train/detective/detective-lora.gguf]."
    )
    parser.add_argument("--world", default="olist", choices=("olist", "dbt"), help="Which world.")
    parser.add_argument("--build", type=Path, help="Make the home here first (world, pairs, adapter).")
    parser.add_argument(
        "--retrain", action="store_true", help="With --build: train even if an adapter exists."
    )
    parser.add_argument("--time-budget", type=float, default=720.0, help="Training seconds (--build).")
    parser.add_argument("--scale", type=float, default=0.1, help="Olist world scale (--build, --eval).")
    parser.add_argument("--eval", action="store_true", help="Also the whole eval with the tuned Detective.")
    parser.add_argument(
        "--no-scenarios",
        action="store_true",
        help="With --build: train without the eval scenarios' incidents (the eval is then unseen text).",
    )
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
    figures: dict[str, Any] = {"world": args.world, "load_average_at_start": round(os.getloadavg()[0], 1)}
    figures["measured_at"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    if args.build:
        started = time.perf_counter()
        scenarios = not args.no_scenarios
        figures["training"] = build(
            args.world, args.build, args.scale, args.time_budget, args.retrain, scenarios
        )
        figures["trained_on_eval_incidents"] = scenarios
        figures["build_s"] = round(time.perf_counter() - started, 1)
        args.home = args.home or str(args.build)
    if not args.home:
        parser.error("give --home or --build")
    adapter = Path(args.adapter or Path(args.home) / "train" / "detective" / "detective-lora.gguf")
    figures |= held_out(args, adapter)
    if args.eval:
        figures["eval"] = eval_with_lora(args.world, adapter, args.scale, args.port + 10)
    figures["load_average_at_end"] = round(os.getloadavg()[0], 1)
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    _print(figures)
    return 0


def held_out(args: argparse.Namespace, adapter: Path) -> dict[str, Any]:
    """(a), (b), (c) on the world's held-out phrasings, on a copy of the home."""
    phrasings = _phrasings(args.world)
    figures: dict[str, Any] = {}
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
                lora = load_config(home, llm_detective_lora=str(adapter.resolve()), **base)
                figures["lora"] = measure(lora, phrasings, "lora")
        finally:
            stop_servers()
    return figures


def _print(figures: dict[str, Any]) -> None:
    world = figures["world"]
    print(f"held-out paraphrases ({world}): symptom accuracy and model time per text")
    for key in [k for k in ("ranking", "base_model", "lora") if k in figures]:
        f = figures[key]
        raw = f" (raw answers {f['raw_right']}/{f['phrasings']})" if "raw_right" in f else ""
        print(
            f"  {key:11} {f['right']}/{f['phrasings']} ({f['accuracy']:.0%}){raw}, model decided "
            f"{f['decided_by_model']}, {f['ms_median']:.0f} ms median ({f['ms_max']:.0f} max)"
        )
        for miss in f["misses"]:
            print(f"      miss: {miss['text']!r}: expected {miss['expected']}, got {miss['picked']}")
    if "eval" in figures:
        e = figures["eval"]
        print(
            f"eval ({world}) with the tuned Detective: verdicts right {e['verdict_right']}/{e['scenarios']}, "
            f"passed {e['passed']}, errors {e['errors']}, "
            f"tuned picks refused by the check {e['refused_by_check']}"
        )


if __name__ == "__main__":
    raise SystemExit(main())
