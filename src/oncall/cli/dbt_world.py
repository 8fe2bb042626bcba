"""The `world dbt` group: build the dbt demo world (a SaaS business on dbt + DuckDB) and ingest it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from oncall.cli._common import echo_json, home_option, json_option, make_config, oncall_command, progress

if TYPE_CHECKING:
    from oncall.world.dbt import DbtWorldSummary

__all__ = ["dbt_group"]


@click.group("dbt")
def dbt_group() -> None:
    """Build and inspect the dbt world (dbt-core + dbt-duckdb).

    A subscription business as a real dbt project. Sources, staging views and mart tables with
    unique / not_null / accepted_values / relationships tests, owners and descriptions. `build`
    runs `dbt build` (all tests pass), plants four faults in the raw data, runs `dbt build` again
    (tests fail, downstream tests are skipped), repairs the raw data and runs it a third time (all
    pass again), and writes one DataHub dbt recipe per run under <home>/dbt/recipes/. Needs
    `pip install 'datahub-oncall[dbt]'`.

    \b
    Examples:
      oncall world dbt build --home /tmp/saas --ingest
      oncall world dbt show --home /tmp/saas
    """


@dbt_group.command("build")
@click.option("--seed", type=int, default=7, show_default=True, help="Seed of the raw data generator.")
@click.option("--force", is_flag=True, help="Replace a dbt world that is already built.")
@click.option(
    "--ingest",
    "then_ingest",
    is_flag=True,
    help="Then `oncall ingest` the passing run and the failing run into the configured catalog.",
)
@home_option
@json_option
@oncall_command
def build(seed: int, force: bool, then_ingest: bool, home: str | None, as_json: bool) -> None:
    """Build the dbt world: a passing, a failing, then a repaired run.

    Then writes one DataHub recipe per run.
    Writes <home>/dbt/ (the project copy, warehouse.duckdb, runs/1_pass, runs/2_fail and
    runs/3_fixed with manifest.json, catalog.json and run_results.json, recipes/, world.json).
    `--ingest` takes the first two (the catalog ends failing); ingest 3_fixed yourself to see
    `oncall watch` resolve the incidents. dbt runs offline with
    the project's own profiles.yml and anonymous usage statistics off. Nothing is kept unless every
    step succeeded; an existing world is kept unless you pass --force.

    \b
    Examples:
      oncall world dbt build --home /tmp/saas
      oncall world dbt build --home /tmp/saas --force --ingest --json
    """
    from oncall.world.dbt import build_dbt_world

    config = make_config(home)
    summary = build_dbt_world(config.home, seed=seed, force=force, progress=progress)
    ingested: list[Any] = []
    if then_ingest:
        from oncall.catalog.recipes import run_recipe

        ingested = [run_recipe(config, Path(run.recipe), progress=progress) for run in summary.runs]
    if as_json:
        echo_json({"world": summary, "ingested": ingested})
        return
    for line in summary_lines(summary):
        click.echo(line)
    if not then_ingest:
        click.echo("\nNext, into the catalog of this home:")
        for run in summary.runs:
            click.echo(f"  oncall ingest --home {config.home} {run.recipe}")
    if summary.recovery is not None:
        click.echo("Later, the repaired run (`oncall watch` then resolves the incidents):")
        click.echo(f"  oncall ingest --home {config.home} {summary.recovery.recipe}")


@dbt_group.command("show")
@home_option
@json_option
@oncall_command
def show(home: str | None, as_json: bool) -> None:
    """Print the built dbt world: raw rows, faults, every run.

    Reads <home>/dbt/world.json; writes nothing.

    \b
    Examples:
      oncall world dbt show --home /tmp/saas --json
    """
    from oncall.errors import UserError
    from oncall.world.dbt import load_dbt_summary

    config = make_config(home)
    summary = load_dbt_summary(config.home)
    if summary is None:
        raise UserError(f"no dbt world is built in {config.home}; run `oncall world dbt build` first")
    if as_json:
        echo_json(summary)
        return
    for line in summary_lines(summary):
        click.echo(line)


def summary_lines(summary: DbtWorldSummary) -> list[str]:
    """Raw rows, the faults with the rows they touched, and each run's test results."""
    from oncall.world.dbt.data import FAULTS

    lines = [f"dbt world (dbt-core {summary.dbt_version}, seed {summary.seed}, {summary.seconds:.1f} s)"]
    lines.append("raw rows: " + ", ".join(f"{t} {n:,}" for t, n in summary.rows.items()))
    lines.append("faults:")
    for fault in FAULTS:
        lines.append(
            f"  {fault.name:<28}{summary.faults.get(fault.name, 0):>6} rows  breaks the {fault.breaks}"
        )
    for run in [*summary.runs, *([summary.recovery] if summary.recovery else [])]:
        tests = ", ".join(f"{n} {s}" for s, n in run.tests.items())
        lines.append(f"run {run.name}: tests {tests}; recipe {run.recipe}")
    return lines
