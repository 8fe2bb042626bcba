"""`oncall watch`: failing assertion runs open, group and resolve incidents by themselves."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING

import click

from oncall.cli._common import echo_json, home_option, json_option, make_config, oncall_command, progress

if TYPE_CHECKING:
    from oncall.agents.lifecycle import BatchReport
    from oncall.config import Config
    from oncall.report.models import RunResult
    from oncall.web.history import RunStore

__all__ = ["register"]


def _print_pass(report: BatchReport, config: Config, *, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(report.as_dict()))
        return
    from oncall.agents.lifecycle.store import Store, store_path

    with Store(store_path(config.home)) as store:
        for label, urns, colour in (
            ("opened", report.opened, "red"),
            ("re-opened", report.reopened, "red"),
            ("updated", report.updated, "yellow"),
            ("resolved", report.resolved, "green"),
            ("left to a person", report.hands_off, "blue"),
        ):
            for urn in dict.fromkeys(urns):
                incident = store.incident(urn)
                title = incident.title if incident else ""
                last = incident.timeline[-1].message if incident and incident.timeline else ""
                click.echo(click.style(f"{label:>16} ", fg=colour, bold=True) + f"{title}  {urn}")
                if last:
                    click.echo(" " * 17 + click.style(last, dim=True))
    for line in report.log:
        progress(line)
    if report.events:
        progress(
            f"{report.events} run events ({report.fresh} new, {report.ignored} duplicate, out of order "
            f"or baseline), {report.loops} loop runs"
        )


def _save(runs: RunStore, result: RunResult) -> None:
    """Each loop the watcher runs lands in the run history, like `oncall run` (the console shows it)."""
    runs.save(result)


@click.command("watch")
@click.option("--once", is_flag=True, help="Process what is new since the last pass, then exit (for cron).")
@click.option(
    "--interval",
    "interval",
    type=click.FloatRange(0.05),
    default=10.0,
    show_default=True,
    metavar="S",
    help="Seconds between passes.",
)
@json_option
@home_option
@oncall_command
def watch_command(once: bool, interval: float, as_json: bool, home: str | None) -> None:
    """Open, group and resolve incidents from assertion runs.

    Each new FAILURE run starts the loop with the failing dataset as the symptom; the failure joins
    the one open incident of each origin the loop names (or opens it: TRIAGE, assigned to the
    origin's owners, priority from its blast radius). When every assertion of an incident passes again
    it resolves itself; a relapse within relapse_window_s re-opens it. Incidents a person resolved or
    edited are never touched. Slack (slack_bot_token + slack_channel, or slack_webhook_url) gets one
    message per incident, updated on each change. Writes incidents to DataHub, each loop to <home>/runs/,
    and its cursor and incidents to <home>/lifecycle.db: a restarted watcher picks up where the last
    one stopped. Needs `oncall setup` (or `oncall ingest`).

    \b
    Examples:
      oncall watch --once                    process new runs, then exit
      oncall watch --interval 1              keep watching, a pass every second
      oncall watch --once --json | jq .opened
    """
    from oncall.agents.lifecycle import Watcher
    from oncall.agents.lifecycle.watcher import watcher_lock
    from oncall.catalog import open_catalog
    from oncall.cli._common import require_setup
    from oncall.web.history import RunStore

    config = make_config(home)
    require_setup(config)
    runs = RunStore(config.runs_dir)
    with watcher_lock(config.home):
        watcher = Watcher(
            config,
            lambda: open_catalog(config),
            say=progress,
            on_run=lambda result, _events: _save(runs, result),
        )
        if not once:
            progress(f"watching {config.catalog} every {interval:g} s (Ctrl+C to stop)")
        try:
            last = asyncio.run(
                watcher.run(
                    once=once,
                    interval_s=interval,
                    on_pass=None if once else lambda r: _print_pass(r, config, as_json=as_json),
                )
            )
        except KeyboardInterrupt:
            progress("watcher stopped")
            return
        finally:
            watcher.close()
    if once:
        if as_json:
            echo_json(last.as_dict())
        else:
            _print_pass(last, config, as_json=False)
            if not (last.opened or last.updated or last.resolved or last.reopened):
                click.echo("No incident changed.")


def register(main: click.Group) -> None:
    """Add `watch` to the main group."""
    main.add_command(watch_command)
