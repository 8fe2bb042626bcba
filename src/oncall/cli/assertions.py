"""Commands of the `assertions` group: run suites against the warehouses, and diff published results."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

from oncall.cli._common import (
    echo_json,
    home_option,
    json_option,
    make_config,
    oncall_command,
    open_setup_catalog,
    progress,
)
from oncall.config import Config

if TYPE_CHECKING:
    from oncall.quality import DiffEntry, DiffSide, SuiteRun
    from oncall.quality.models import DiffStatus
    from oncall.quality.schema import WarehouseSchema

__all__ = ["register"]

_VERDICT_ORDER: dict[DiffStatus, int] = {"regression": 0, "pre-existing": 1, "recovered": 2, "unchanged": 3}
# Same as oncall.quality.runner.DEFAULT_TIMEOUT_S (a test pins it); repeated here so that `--help`
# does not import SQLAlchemy and DataHub just to show a default.
DEFAULT_TIMEOUT_S = 60.0


@click.group("assertions")
def assertions() -> None:
    """Run data-quality assertion suites and diff their results.

    Suites: kit (the hackathon kit's 11 checks), profile (derived from the clean baseline for all
    9 tables), or the path of your own suite YAML file. `run` publishes assertions and their run
    events to DataHub; `diff` only reads them.

    \b
    Examples:
      oncall assertions run --suite kit
      oncall assertions diff --json
    """


def _table(rows: Sequence[Sequence[str]], header: Sequence[str]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        click.echo("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def _value(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.2f}"


def _run_json(runs: Sequence[SuiteRun], published: Any) -> dict[str, Any]:
    return {
        "run_id": runs[0].run_id if runs else None,
        "runs": [
            {
                "suite": r.suite,
                "instance": r.instance,
                "warehouse": r.warehouse,
                "duration_ms": round(r.duration_ms, 1),
                "results": [
                    {
                        "table": x.check.table,
                        "assertion": x.check.name,
                        "result": x.result,
                        "observed": x.observed,
                        "threshold": x.check.threshold,
                        "row_count": x.row_count,
                        "error": x.error,
                        "sql": x.sql,
                    }
                    for x in r.results
                ],
            }
            for r in runs
        ],
        "published": published,
    }


def _print_runs(runs: Sequence[SuiteRun]) -> None:
    rows = [
        (
            r.instance,
            r.suite,
            x.check.table,
            x.check.name,
            x.result,
            _value(x.observed),
            f"{x.check.threshold:g}",
        )
        for r in runs
        for x in r.results
    ]
    _table(rows, ("INSTANCE", "SUITE", "TABLE", "ASSERTION", "RESULT", "OBSERVED", "THRESHOLD"))
    for r in runs:
        counts = Counter(x.result for x in r.results)
        click.echo(
            f"{r.instance} {r.suite}: {counts['SUCCESS']} passed, {counts['FAILURE']} failed, "
            f"{counts['ERROR']} errors ({r.duration_ms:.0f} ms)"
        )


def _fail_on_errors(errors: Sequence[str], total: int) -> None:
    if errors:
        progress(f"{len(errors)} of {total} assertions could not be evaluated (ERROR):")
        for line in errors:
            progress(f"  {line}")
        sys.exit(1)


def _publish(config: Config, runs: Sequence[SuiteRun], suites: Sequence[str]) -> Any:
    from oncall.quality.publish import publish_runs

    catalog = open_setup_catalog(config, read_only=False)
    try:
        return publish_runs(catalog, runs, suites=suites)
    finally:
        catalog.close()


@assertions.command("run")
@click.option(
    "--suite",
    "suites",
    multiple=True,
    metavar="kit|profile|FILE",
    help="Suite to run; repeat for several. [default: kit and profile]",
)
@click.option(
    "--instance",
    "instances",
    multiple=True,
    metavar="NAME",
    help="Platform instance to check; repeat for several. [default: the baseline and production instances]",
)
@click.option("--no-publish", is_flag=True, help="Only run and print; write nothing to DataHub.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.001),
    default=DEFAULT_TIMEOUT_S,
    show_default=True,
    help="Seconds each statement may run before it is stopped and recorded as ERROR.",
)
@home_option
@json_option
@oncall_command
def run_command(
    suites: tuple[str, ...],
    instances: tuple[str, ...],
    no_publish: bool,
    timeout: float,
    home: str | None,
    as_json: bool,
) -> None:
    """Run assertion suites on the warehouses and publish the results.

    The SQL is pushed down to each warehouse. Each instance's warehouse is `warehouses.<instance>` in
    config.yaml (any SQLAlchemy URL: SQLite, DuckDB, PostgreSQL, ...), else the world's SQLite file.
    Writes the assertions and one run event per assertion to DataHub (unless --no-publish); nothing to
    the warehouses. Exits 1 when any assertion ERRORs.

    \b
    Examples:
      oncall assertions run                              kit + profile on both instances, publish
      oncall assertions run --suite kit --no-publish     just print the kit's 11 checks
      oncall assertions run --suite my_checks.yaml --instance olist_dirty
    """
    from oncall.quality.runner import build_suites, run_suites, warehouse_url
    from oncall.world.demo_suites import DEMO_SUITES, resolve_suites

    config = make_config(home)
    if not no_publish:
        open_setup_catalog(config).close()  # fail before running if there is no catalog
    built = build_suites(config, resolve_suites(list(suites) or DEMO_SUITES), schema=_world_schema(config))
    names = [s.name for s in built]
    chosen = instances or tuple(i for i in (config.baseline_instance, config.production_instance) if i)
    runs = run_suites(built, {i: warehouse_url(config, i) for i in dict.fromkeys(chosen)}, timeout_s=timeout)
    published = None if no_publish else _publish(config, runs, names)
    if as_json:
        echo_json(_run_json(runs, published))
    else:
        _print_runs(runs)
        if published is not None:
            click.echo(f"published {published.assertions} assertions, {published.run_events} run events")
    errors = [
        f"{r.instance} {x.check.table}.{x.check.name}: {x.error}" for r in runs for x in r.results if x.error
    ]
    _fail_on_errors(errors, sum(len(r.results) for r in runs))


def _world_schema(config: Config) -> WarehouseSchema | None:
    """The demo world's keys and foreign keys when the home holds the world (its DDL leaves them out);
    any other warehouse declares its own."""
    from oncall.world.build import load_summary

    if load_summary(config.home) is None:
        return None
    from oncall.world.schema import warehouse_schema

    return warehouse_schema()


def _side(side: DiffSide) -> str:
    return "-" if side.result is None else f"{side.result} {_value(side.value)}"


def _print_diff(entries: Sequence[DiffEntry], labels: tuple[str, str]) -> None:
    from oncall.catalog.urns import table_of

    ordered = sorted(entries, key=lambda e: (_VERDICT_ORDER[e.status], e.dataset_urn, e.native_type))
    rows = [
        (
            table_of(e.dataset_urn),
            e.native_type,
            e.run_by,
            e.baseline_kind,
            _side(e.baseline),
            _side(e.production),
            e.status,
        )
        for e in ordered
    ]
    _table(rows, ("TABLE", "ASSERTION", "BY", "AGAINST", labels[0].upper(), labels[1].upper(), "VERDICT"))
    counts = Counter(e.status for e in entries)
    click.echo(", ".join(f"{counts[s]} {s}" for s in _VERDICT_ORDER))


_MODES = ("auto", "twin", "history")


@assertions.command("diff")
@click.option(
    "--baseline",
    metavar="MODE",
    default=None,
    help="auto (per dataset: its twin in the baseline instance when there is one, else its own "
    "history), twin or history. An instance name is read as --baseline-instance (old spelling). "
    "[default: auto]",
)
@click.option(
    "--baseline-instance",
    metavar="INSTANCE",
    default=None,
    help='Clean twin instance ("" = none). [default: baseline_instance setting]',
)
@click.option(
    "--production",
    metavar="INSTANCE",
    default=None,
    help='Production instance ("" = every dataset). [default: production_instance setting]',
)
@click.option("--history", is_flag=True, help="Same as --baseline history.")
@home_option
@json_option
@oncall_command
def diff_command(
    baseline: str | None,
    baseline_instance: str | None,
    production: str | None,
    history: bool,
    home: str | None,
    as_json: bool,
) -> None:
    """Diff published assertion results: baseline vs production.

    A regression fails in production but passes in the baseline: the dataset's twin in the baseline
    instance, or the assertion's own last passing run (each row says which). Reads DataHub only and
    writes nothing (run `oncall setup` or `oncall assertions run` first). Statuses: regression,
    pre-existing, recovered, unchanged. Exits 1 when any assertion's latest result is ERROR.

    \b
    Examples:
      oncall assertions diff                                     twin where there is one, else history
      oncall assertions diff --baseline twin --baseline-instance olist_source --json
      oncall assertions diff --baseline history --production ""  every dataset, latest vs last pass
    """
    mode = baseline or "auto"
    if mode not in _MODES:  # `--baseline olist_source` from before the modes: an instance name
        if baseline_instance is not None:
            raise click.UsageError(
                f"--baseline takes {', '.join(_MODES)}; the instance goes in --baseline-instance"
            )
        mode, baseline_instance = "auto", mode
    if history:
        if baseline not in (None, "history"):
            raise click.UsageError("--history compares runs over time; it takes no other --baseline")
        mode = "history"
    from oncall.quality.diff import diff_datasets

    config = make_config(home, baseline_instance=baseline_instance, production_instance=production)
    catalog = open_setup_catalog(config)
    try:
        urns = catalog.list_urns("dataset", instance=config.production_instance)
        entries = diff_datasets(
            catalog,
            urns,
            mode=mode,  # type: ignore[arg-type]  # checked against _MODES above
            baseline_instance=config.baseline_instance,
            production_instance=config.production_instance,
        )
    finally:
        catalog.close()
    if as_json:
        echo_json([e.model_dump(mode="json") for e in entries])
    else:
        labels = (config.baseline_instance or "baseline", config.production_instance or "production")
        _print_diff(entries, ("last passing", "latest") if mode == "history" else labels)
    errors = [
        f"{e.native_type} on {e.dataset_urn}: {label} result is ERROR"
        for e in entries
        for label, s in (("baseline", e.baseline), ("production", e.production))
        if s.result == "ERROR"
    ]
    _fail_on_errors(errors, len(entries))


def register(main: click.Group) -> None:
    """Add this module's commands to the main group."""
    main.add_command(assertions)
