"""The scenario bench on the dbt world: a catalog filled only by `oncall ingest` of dbt artifacts.

No `oncall setup`, no config.yaml, no platform instances, no twin: the baseline is each dbt test's
own history (the passing run, then the failing run). Two catalogs are built from one dbt world:

- `failing`: both runs ingested (four tests fail, tests downstream of them are skipped);
- `passing`: only the passing run (the controls' clean world).

A scenario names dbt models (or sources) by name: a dbt node and its warehouse table are siblings,
one node, so either URN of the pair matches its name. Scoring is the Olist bench's (symptom, origins,
path grounding, "elsewhere", verdict, no incident on a control), reported separately::

    scenarios:
      - name: dbt-mrr-report
        catalog: failing              # or passing
        incident: MRR report is wrong
        symptom: fct_mrr
        origins: [stg_subscriptions]
        elsewhere: [stg_accounts]
"""

from __future__ import annotations

import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from oncall.agents import run_incident_sync
from oncall.catalog import open_catalog
from oncall.catalog.recipes import run_recipe
from oncall.catalog.urns import InvalidUrnError, parse_urn
from oncall.config import Config, load_config
from oncall.errors import ScenarioError
from oncall.eval.reports import EvalReport, WorldRun, summarize
from oncall.eval.scoring import (
    CatalogEdges,
    Criterion,
    EdgeOracle,
    ScenarioScore,
    failed_score,
    finish_score,
    grounding_problems,
)
from oncall.events import Event, RunEvents
from oncall.report.models import RunResult
from oncall.world.dbt import DbtRun, build_dbt_world, load_dbt_summary
from oncall.world.dbt.data import FAULTS

__all__ = ["DbtScenario", "load_dbt_scenarios", "node_name", "run_dbt_eval", "score_dbt_run"]

Progress = Callable[[str], None]
CatalogKind = Literal["failing", "passing"]


class DbtScenario(BaseModel):
    """One incident on the dbt world and the answer we expect."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    catalog: CatalogKind = "failing"
    incident: str
    symptom: str
    """The dbt model or source (its table name) the text must resolve to."""
    origins: list[str] = Field(default_factory=list)
    elsewhere: list[str] = Field(default_factory=list)
    control: bool = False
    description: str | None = None

    @property
    def expected_verdict(self) -> str:
        """root_cause_found when origins are expected, else no_regression."""
        return "root_cause_found" if self.origins else "no_regression"


def builtin_dbt_scenarios() -> Path:
    """The shipped dbt-world scenario file."""
    return Path(str(resources.files("oncall.eval") / "scenarios_dbt" / "saas.yaml"))


def load_dbt_scenarios(path: Path | None = None) -> list[DbtScenario]:
    """Scenarios from a YAML file (default: the shipped ones); ScenarioError names a bad entry."""
    file = path or builtin_dbt_scenarios()
    raw = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    items = raw.get("scenarios") if isinstance(raw, dict) else None
    if not isinstance(items, list):
        raise ScenarioError(f"{file}: expected a 'scenarios:' list")
    out = []
    for i, item in enumerate(items):
        try:
            out.append(DbtScenario.model_validate(item))
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"])
            raise ScenarioError(f"{file}: scenarios[{i}].{where}: {err['msg']}") from exc
    names = [s.name for s in out]
    if len(set(names)) != len(names):
        raise ScenarioError(f"{file}: scenario names must be unique")
    return out


def node_name(urn: str) -> str:
    """The table name of a dataset URN (`warehouse.main.fct_mrr` -> `fct_mrr`): one name per sibling pair."""
    try:
        parts = parse_urn(urn)
    except InvalidUrnError:
        return urn
    if parts.entity_type != "dataset":
        return parts.name
    return parts.name.rsplit(".", 1)[-1]


def score_dbt_run(
    scenario: DbtScenario,
    result: RunResult,
    *,
    edges: EdgeOracle,
    events: Sequence[Event] = (),
    wall_ms: float | None = None,
) -> ScenarioScore:
    """Score a run on the dbt world by node names (siblings collapse to one name)."""
    score = ScenarioScore(
        name=scenario.name,
        incident=scenario.incident,
        world=f"dbt-{scenario.catalog}",
        control=scenario.control,
        run_id=result.run_id,
        wall_ms=wall_ms,
        degraded=list(result.degraded),
    )
    got = node_name(result.symptom.urn) if result.symptom else None
    score.symptom = Criterion(ok=got == scenario.symptom, expected=scenario.symptom, got=got)
    predicted = sorted({node_name(rc.dataset_urn) for rc in result.origins})
    expected = sorted(scenario.origins)
    tp = len(set(predicted) & set(expected))
    score.true_positives, score.predicted, score.expected = tp, len(predicted), len(expected)
    score.precision = tp / len(predicted) if predicted else 1.0
    score.recall = tp / len(expected) if expected else 1.0
    score.origins = Criterion(ok=predicted == expected, expected=expected, got=predicted)
    problems = grounding_problems(result, edges)
    score.grounded = Criterion(ok=not problems, got=problems or None)
    if scenario.elsewhere:
        reported = sorted({node_name(d.dataset_urn) for d in result.elsewhere})
        causes = {node_name(rc.dataset_urn) for rc in result.root_causes}
        ok = all(t in reported and t not in causes for t in scenario.elsewhere)
        score.elsewhere = Criterion(ok=ok, expected=sorted(scenario.elsewhere), got=reported)
    score.verdict = Criterion(
        ok=result.verdict == scenario.expected_verdict, expected=scenario.expected_verdict, got=result.verdict
    )
    return finish_score(score, result, events, wall_ms)


def prepare_catalogs(
    root: Path, progress: Progress | None = None, world: Path | None = None
) -> dict[CatalogKind, Path]:
    """Build the dbt world once (or use the one built in home `world`) and its two catalogs."""
    say = progress or (lambda _m: None)
    summary = load_dbt_summary(world) if world else build_dbt_world(root / "world", progress=say)
    if summary is None:
        raise ScenarioError(f"no dbt world is built in {world}")
    homes: dict[CatalogKind, Path] = {}
    pairs: tuple[tuple[CatalogKind, list[DbtRun]], ...] = (
        ("failing", summary.runs),
        ("passing", summary.runs[:1]),
    )
    for kind, runs in pairs:
        home = root / kind
        config = load_config(home, environ={})
        for run in runs:
            run_recipe(config, Path(run.recipe), progress=say)
        homes[kind] = home
    return homes


def run_dbt_eval(
    scenarios: Sequence[DbtScenario],
    *,
    llm_preset: str | None = None,
    work_dir: Path | None = None,
    keep: bool = False,
    progress: Progress | None = None,
    world: Path | None = None,
    llm: Mapping[str, Any] | None = None,
    local_model: Mapping[str, Any] | None = None,
) -> EvalReport:
    """Run every scenario on its catalog (a fresh copy each) and return the scored report.

    `world`: a home with the dbt world already built (default: build one in the temporary folder).
    `llm` (per-role overrides) and `local_model` (`runner.local_model_settings`) carry the user's model
    settings into the temporary homes, which otherwise read no configuration at all.
    """
    models: dict[str, Any] = {"llm": dict(llm) if llm else None, **(local_model or {})}
    say = progress or (lambda _m: None)
    started = time.time()
    root = Path(tempfile.mkdtemp(prefix="oncall-eval-dbt-", dir=work_dir))
    faults = [{"name": f.name, "table": f"raw.{f.table}", "description": f.description} for f in FAULTS]
    worlds = {
        kind: WorldRun(key=f"dbt-{kind}", label=f"dbt-{kind}", faults=faults if kind == "failing" else [])
        for kind in ("failing", "passing")
    }
    scores: list[ScenarioScore] = []
    try:
        t0 = time.perf_counter()
        try:
            homes = prepare_catalogs(root, progress=lambda m: say(f"    {m}"), world=world)
        except Exception as exc:  # a harness: report the world failure on every scenario
            homes = {}
            for w in worlds.values():
                w.error = f"{type(exc).__name__}: {exc}"
        for w in worlds.values():
            w.build_s = round(time.perf_counter() - t0, 2)
        for i, scenario in enumerate(scenarios, 1):
            worlds[scenario.catalog].scenarios.append(scenario.name)
            score = _run_one(scenario, homes.get(scenario.catalog), root, llm_preset, keep, models)
            scores.append(score)
            verdict = "pass" if score.passed else "FAIL: " + "; ".join(score.failures)
            say(f"  [{i}/{len(scenarios)}] {scenario.name}: {verdict}")
    finally:
        if keep:
            say(f"temporary homes kept in {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    return EvalReport(
        started_at=started,
        total_s=round(time.time() - started, 2),
        options={"world": "dbt", "llm_preset": llm_preset or "configured"},
        worlds=[w for w in worlds.values() if w.scenarios],
        scores=scores,
        summary=summarize(scores),
        work_dir=str(root) if keep else None,
    )


def _config(home: Path, llm_preset: str | None, models: Mapping[str, Any]) -> Config:
    # Zero config on purpose (the "Done when"): only Lite, the model, and no Slack.
    return load_config(
        home, environ={}, catalog="lite", slack_webhook_url="", llm_preset=llm_preset, **models
    )


def _run_one(
    scenario: DbtScenario,
    base: Path | None,
    root: Path,
    llm_preset: str | None,
    keep: bool,
    models: Mapping[str, Any],
) -> ScenarioScore:
    world = f"dbt-{scenario.catalog}"
    if base is None:
        return failed_score(scenario, world=world, error="the dbt world could not be built")
    home = root / "runs" / scenario.name
    shutil.copytree(base, home)
    config = _config(home, llm_preset, models)
    events = RunEvents(f"eval-{scenario.name}-{uuid.uuid4().hex[:8]}")
    try:
        t0 = time.perf_counter()
        result = run_incident_sync(scenario.incident, config=config, events=events, run_id=events.run_id)
        wall_ms = round((time.perf_counter() - t0) * 1000, 1)
        catalog = open_catalog(config, read_only=True)
        try:
            return score_dbt_run(
                scenario, result, edges=CatalogEdges(catalog), events=events.events, wall_ms=wall_ms
            )
        finally:
            catalog.close()
    except Exception as exc:  # this scenario's failure; the others still run
        return failed_score(scenario, world=world, error=f"{type(exc).__name__}: {exc}")
    finally:
        if not keep:
            shutil.rmtree(home, ignore_errors=True)
