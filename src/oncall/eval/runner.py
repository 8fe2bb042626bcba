"""Run scenarios end to end: build each world once, set it up once, run the loop per scenario, score.

Worlds are keyed by their faults (plus the eval's scale and seed): every scenario of one world runs on
its own **copy** of the set-up home, for real (not a dry run), so the Fixer's writes are verified as
they would be in use and can never leak into the next scenario. Copying a set-up home costs far less
than setting one up (which ingests two instances and runs two assertion suites on each).

The eval always uses the embedded DataHub Lite in temporary homes: it must never write its planted
incidents into a real DataHub that the user's environment happens to point at.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from oncall.agents import run_incident_sync
from oncall.bootstrap import setup
from oncall.catalog import open_catalog
from oncall.config import Config, load_config
from oncall.eval.reports import EvalReport, WorldRun, summarize
from oncall.eval.scenarios import LoadedScenario, World
from oncall.eval.scoring import CatalogEdges, ScenarioScore, failed_score, score_run
from oncall.events import RunEvents
from oncall.world.build import build_world
from oncall.world.faults import load_spec

__all__ = ["LOCAL_MODEL_SETTINGS", "EvalOptions", "local_model_settings", "run_eval"]

LOCAL_MODEL_SETTINGS = ("llm_local_port", "llm_model_path", "llm_detective_lora")
"""What the `local` preset reads besides the preset: the port of its server, the model file and the
Detective's adapter (the dbt world's zero-config homes read no environment, so it must be carried)."""

Progress = Callable[[str], None]

# The world package always names its two instances like this (olist_source.db / olist_dirty.db).
_BASELINE, _PRODUCTION = "olist_source", "olist_dirty"


@dataclass(frozen=True)
class EvalOptions:
    """How to run an eval."""

    scale: float = 0.1
    seed: int = 42
    llm_preset: str | None = None
    """None = the configured preset (default offline)."""
    llm: Mapping[str, Any] = field(default_factory=dict)
    """Per-role model overrides, carried over from the user's config."""
    local_model: Mapping[str, Any] = field(default_factory=dict)
    """The `local` preset's settings carried over from the user's config (`local_model_settings`)."""
    work_dir: Path | None = None
    """Where the temporary homes go (default: the system temp folder)."""
    keep: bool = False
    """Keep the temporary homes for inspection instead of deleting them."""


def local_model_settings(config: Config) -> dict[str, Any]:
    """The user's local-model settings, for an eval's temporary homes (the same server, the same model)."""
    return {name: getattr(config, name) for name in LOCAL_MODEL_SETTINGS}


def run_eval(
    scenarios: Sequence[LoadedScenario], options: EvalOptions, progress: Progress | None = None
) -> EvalReport:
    """Run every scenario and return the scored report (never raises for a failing scenario)."""
    say = progress or (lambda _msg: None)
    started = time.time()
    root = Path(tempfile.mkdtemp(prefix="oncall-eval-", dir=options.work_dir))
    groups = _group(scenarios)
    worlds: list[WorldRun] = []
    scores: list[ScenarioScore] = []
    done = 0
    try:
        for w_index, (world, items) in enumerate(groups, 1):
            say(f"[world {w_index}/{len(groups)}] {world.label}: {len(items)} scenario(s)")
            names = [i.name for i in items]
            run = WorldRun(key=world.key, label=world.label, faults=_faults_of(world), scenarios=names)
            worlds.append(run)
            base = _prepare(world, root, options, run, say)
            for item in items:
                done += 1
                score = _run_one(item, base, root, options, run) if base else _world_failed(item, run)
                scores.append(score)
                say(f"  [{done}/{len(scenarios)}] {item.name}: {_outcome(score)}")
    finally:
        if options.keep:
            say(f"temporary homes kept in {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    return EvalReport(
        started_at=started,
        total_s=round(time.time() - started, 2),
        options={
            "scale": options.scale,
            "seed": options.seed,
            "llm_preset": options.llm_preset or "configured",
        },
        worlds=worlds,
        scores=scores,
        summary=summarize(scores),
        work_dir=str(root) if options.keep else None,
    )


def _group(scenarios: Sequence[LoadedScenario]) -> list[tuple[World, list[LoadedScenario]]]:
    """Scenarios by world, in first-seen order."""
    groups: dict[str, tuple[World, list[LoadedScenario]]] = {}
    for item in scenarios:
        groups.setdefault(item.world.key, (item.world, []))[1].append(item)
    return list(groups.values())


def _prepare(world: World, root: Path, options: EvalOptions, run: WorldRun, say: Progress) -> Path | None:
    """Build and set up one world; None (with the error on `run`) if either step failed."""
    home = root / "worlds" / _slug(world.key)
    home.mkdir(parents=True)
    sub = _indent(say)
    try:
        t0 = time.perf_counter()
        built = build_world(
            home, scale=options.scale, seed=options.seed, faults=_spec_arg(world, root), progress=sub
        )
        t1 = time.perf_counter()
        setup(_config(home, options), progress=sub)
        t2 = time.perf_counter()
    except Exception as exc:  # a harness: one broken world must not stop the other scenarios
        run.error = f"{type(exc).__name__}: {exc}"
        say(f"  world {world.label} failed: {run.error}")
        return None
    run.build_s, run.setup_s = round(t1 - t0, 2), round(t2 - t1, 2)
    run.rows_touched = [f.rows_touched for f in built.faults]
    say(f"  world ready: built in {run.build_s:.1f} s, set up in {run.setup_s:.1f} s")
    return home


def _run_one(
    item: LoadedScenario, base: Path, root: Path, options: EvalOptions, run: WorldRun
) -> ScenarioScore:
    """Run the loop on a fresh copy of the world's home and score it."""
    home = root / "runs" / _slug(item.name)
    shutil.copytree(base, home)
    config = _config(home, options)
    events = RunEvents(f"eval-{item.name}-{uuid.uuid4().hex[:8]}")
    try:
        t0 = time.perf_counter()
        result = run_incident_sync(
            item.scenario.incident,
            config=config,
            events=events,
            llm_preset=options.llm_preset,
            run_id=events.run_id,
        )
        wall_ms = (time.perf_counter() - t0) * 1000
        catalog = open_catalog(config, read_only=True)
        try:
            return score_run(
                item.scenario,
                result,
                edges=CatalogEdges(catalog),
                production_instance=_PRODUCTION,
                world=run.label,
                events=events.events,
                wall_ms=round(wall_ms, 1),
            )
        finally:
            catalog.close()
    except Exception as exc:  # recorded as this scenario's failure; the others still run
        return failed_score(item.scenario, world=run.label, error=f"{type(exc).__name__}: {exc}")
    finally:
        if not options.keep:
            shutil.rmtree(home, ignore_errors=True)


def _world_failed(item: LoadedScenario, run: WorldRun) -> ScenarioScore:
    return failed_score(item.scenario, world=run.label, error=f"world {run.label} failed: {run.error}")


def _config(home: Path, options: EvalOptions) -> Config:
    """Lite in the temporary home, the world's instance names, the chosen models, and no Slack.

    Whatever the environment says: planted faults must never reach a real DataHub or a Slack channel.
    """
    return load_config(
        home,
        catalog="lite",
        baseline_instance=_BASELINE,
        production_instance=_PRODUCTION,
        slack_webhook_url="",
        llm_preset=options.llm_preset,
        llm=dict(options.llm) or None,
        **options.local_model,
    )


def _spec_arg(world: World, root: Path) -> str | Path:
    """What `build_world(faults=)` takes: a built-in spec name, or a spec file written for the world."""
    if world.builtin:
        return world.builtin
    path = root / "specs" / f"{_slug(world.key)}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(world.spec_document(), sort_keys=False), encoding="utf-8")
    return path


def _faults_of(world: World) -> list[dict[str, Any]]:
    """The faults as written in the spec (a built-in spec is expanded, so the report shows them)."""
    if world.builtin:
        return [f.model_dump(exclude_none=True) for f in load_spec(world.builtin).faults]
    return [dict(f) for f in world.faults]


def _outcome(score: ScenarioScore) -> str:
    if score.passed:
        ms = f"{score.verdict_ms:.0f} ms" if score.verdict_ms is not None else ""
        return f"pass {ms}".strip()
    return "FAIL: " + "; ".join(score.failures)


def _indent(say: Progress) -> Progress:
    return lambda msg: say(f"    {msg}")


def _slug(text: str) -> str:
    return re.sub(r"[^a-zA-Z0-9_.-]+", "-", text).strip("-") or "x"
