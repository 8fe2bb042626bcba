"""`oncall eval`: run the scenario bench and report root-cause accuracy, grounding, cost and speed."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from oncall.cli._common import echo_json, home_option, json_option, make_config, oncall_command, progress

if TYPE_CHECKING:
    from oncall.config import Config
    from oncall.eval import EvalReport
    from oncall.eval.runner import EvalOptions

__all__ = ["register"]


@click.command("eval")
@click.option(
    "--scenarios",
    "scenarios_path",
    type=click.Path(path_type=Path),
    default=None,
    help="A scenario YAML file or a folder of them. [default: the scenarios shipped with oncall]",
)
@click.option("--llm", "llm_preset", default=None, help="Model preset for the agents. [default: configured]")
@click.option(
    "--scale",
    type=click.FloatRange(0, 1, min_open=True),
    default=0.1,
    show_default=True,
    help="World size as a fraction of the Kaggle row counts.",
)
@click.option("--seed", type=int, default=42, show_default=True, help="Seed of the world generator.")
@click.option(
    "--only",
    multiple=True,
    metavar="NAME",
    help="Run only these scenarios (repeat or comma-separate; shell patterns like 'kit-*' work).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the Markdown and JSON reports. [default: $ONCALL_HOME/eval]",
)
@click.option("--keep", is_flag=True, help="Keep the temporary worlds and homes for inspection.")
@click.option(
    "--lifecycle",
    is_flag=True,
    help="Score `oncall watch` on the Olist worlds instead: grouping precision/recall, auto-resolve, "
    "relapse.",
)
@click.option(
    "--world",
    type=click.Choice(["olist", "dbt", "all"]),
    default="olist",
    show_default=True,
    help="Which world's scenarios: the Olist demo, the dbt world (a catalog filled only by "
    "`oncall ingest` of dbt artifacts; needs the dbt extra), or both, reported separately.",
)
@home_option
@json_option
@oncall_command
def eval_command(
    scenarios_path: Path | None,
    llm_preset: str | None,
    scale: float,
    seed: int,
    only: tuple[str, ...],
    out: Path | None,
    keep: bool,
    lifecycle: bool,
    world: str,
    home: str | None,
    as_json: bool,
) -> None:
    """Measure the incident loop on planted faults.

    Each distinct fault spec gets one world, built and set up once in a temporary home (embedded
    DataHub Lite, never your configured DataHub); every scenario then runs the full loop on its own
    copy of it, writes included, and is scored: symptom, origin precision and recall, path grounding,
    "elsewhere", verdict, time to verdict, catalog and model calls. Writes Markdown and JSON reports
    to --out (default $ONCALL_HOME/eval/, plus latest.md/latest.json); exits 1 if any scenario fails.

    \b
    Examples:
      oncall eval                                   all shipped scenarios at scale 0.1 (about a minute)
      oncall eval --only 'kit-*' --scale 0.02       a quick subset
      oncall eval --world all --json > eval.json    Olist and dbt world, reported separately
    """
    # Imported here, not at the top: they load DataHub and the agents, which `oncall --help` does not need.
    from oncall.eval import render_table, write_reports

    config = make_config(home)
    preset = llm_preset or config.llm_preset
    out_dir = out or config.home / "eval"
    if lifecycle:
        _lifecycle(scenarios_path, only, scale, seed, keep, preset, config, as_json=as_json)
        return
    reports = {}
    if world in ("olist", "all"):
        olist_path = scenarios_path if world == "olist" else None
        # With --world all, dbt-world names (dbt-*) select dbt scenarios and the others Olist ones.
        olist_only = only if world == "olist" else tuple(p for p in only if not p.startswith("dbt-"))
        if world == "olist" or olist_only or not only:
            reports["olist"] = _olist(olist_path, olist_only, scale, seed, keep, preset, config)
    if world in ("dbt", "all"):
        dbt_only = only if world == "dbt" else tuple(p for p in only if p.startswith("dbt-"))
        if world == "dbt" or dbt_only or not only:
            reports["dbt"] = _dbt(scenarios_path if world == "dbt" else None, dbt_only, preset, keep, config)
    command = _command_line(scenarios_path, llm_preset, scale, seed, only)
    if world != "olist":
        command += f" --world {world}"
    paths = {
        name: write_reports(report, out_dir if name == "olist" else out_dir / name, command)
        for name, report in reports.items()
    }
    if as_json:
        echo_json(reports["olist"] if world == "olist" else reports)  # olist: the JSON it always had
    else:
        for name, report in reports.items():
            if len(reports) > 1:
                click.echo(f"\n{name} world:")
            click.echo(render_table(report))
            click.echo(f"\nReports: {paths[name][0]}  {paths[name][1]}")
    if any(r.summary.passed < r.summary.scenarios for r in reports.values()):
        sys.exit(1)


def _olist(
    scenarios_path: Path | None,
    only: tuple[str, ...],
    scale: float,
    seed: int,
    keep: bool,
    preset: str | None,
    config: Config,
) -> EvalReport:
    from oncall.eval import load_scenarios, select
    from oncall.eval.runner import run_eval

    scenarios = select(load_scenarios(scenarios_path), only)
    worlds = len({s.world.key for s in scenarios})
    progress(f"Running {len(scenarios)} scenario(s) on {worlds} world(s) at scale {scale}")
    options = _options(scale, seed, preset, keep, config)
    return run_eval(scenarios, options, progress=progress)


def _options(scale: float, seed: int, preset: str | None, keep: bool, config: Config) -> EvalOptions:
    from oncall.eval.runner import EvalOptions, local_model_settings

    return EvalOptions(
        scale=scale,
        seed=seed,
        llm_preset=preset,
        llm=config.llm or {},
        local_model=local_model_settings(config),
        keep=keep,
    )


def _dbt(
    scenarios_path: Path | None, only: tuple[str, ...], preset: str | None, keep: bool, config: Config
) -> EvalReport:
    from oncall.eval import select
    from oncall.eval.dbt_world import load_dbt_scenarios, run_dbt_eval
    from oncall.eval.runner import local_model_settings

    scenarios = select(load_dbt_scenarios(scenarios_path), only)
    progress(f"Running {len(scenarios)} dbt-world scenario(s): building the dbt world, then ingesting it")
    return run_dbt_eval(
        scenarios,
        llm_preset=preset,
        keep=keep,
        progress=progress,
        llm=config.llm,
        local_model=local_model_settings(config),
    )


def _lifecycle(
    scenarios_path: Path | None,
    only: tuple[str, ...],
    scale: float,
    seed: int,
    keep: bool,
    preset: str | None,
    config: Config,
    *,
    as_json: bool,
) -> None:
    from oncall.eval import load_scenarios, select
    from oncall.eval.lifecycle import run_lifecycle_eval

    scenarios = select(load_scenarios(scenarios_path), only)
    options = _options(scale, seed, preset, keep, config)

    report = run_lifecycle_eval(scenarios, options, progress=progress)
    if as_json:
        echo_json(report)
        return
    for w in report.worlds:
        counts = f"{len(w.opened)} incidents for {len(w.expected)} planted origins"
        status = w.error or (
            f"{counts}, {w.resolved} resolved, {w.reopened} re-opened; after the window "
            f"{w.next_opened} opened anew, {w.late_reopened} re-opened"
        )
        click.echo(f"{w.world:28} {status}")
    click.echo(
        f"grouping precision {report.precision}, recall {report.recall}, duplicates {report.duplicates}; "
        f"auto-resolve {report.auto_resolve}; relapse re-open {report.relapse}; "
        f"late relapse opens the next {report.late_relapse}; controls quiet {report.controls_quiet}"
    )
    if any(w.error for w in report.worlds):
        sys.exit(1)


def _command_line(
    scenarios_path: Path | None, llm_preset: str | None, scale: float, seed: int, only: tuple[str, ...]
) -> str:
    """The command that reproduces this report (for its Markdown)."""
    parts = ["oncall eval", f"--scale {scale:g}"]
    if seed != 42:
        parts.append(f"--seed {seed}")
    if llm_preset:
        parts.append(f"--llm {llm_preset}")
    if scenarios_path:
        parts.append(f"--scenarios {scenarios_path}")
    parts += [f"--only {name}" for name in only]
    return " ".join(parts)


def register(main: click.Group) -> None:
    """Add `oncall eval` to the main group."""
    main.add_command(eval_command)
