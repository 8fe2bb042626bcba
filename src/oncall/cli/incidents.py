"""`oncall incidents list|show|ack|resolve|stats`: the watcher's incidents, for the person on call."""

from __future__ import annotations

import getpass
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from oncall.cli._common import echo_json, home_option, json_option, make_config, oncall_command

if TYPE_CHECKING:
    from oncall.agents.lifecycle import TrackedIncident

__all__ = ["register"]

_PRIORITY = {0: "CRITICAL", 1: "HIGH", 2: "MEDIUM", 3: "LOW"}


def _when(ms: int | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ms / 1000)) + "Z" if ms else "-"


def _name(urn: str, names: dict[str, str]) -> str:
    from oncall.report.postmortem import display_name

    return display_name(urn, names)


@click.group("incidents")
def incidents_group() -> None:
    """The watcher's incidents: list, show, ack, resolve, stats.

    Acknowledging moves an incident to INVESTIGATION (it still resolves itself when its checks pass);
    resolving it yourself is final: the watcher leaves it alone, and a relapse opens a new one. Both
    write to DataHub with you as the actor (--by, default your login) and update its Slack message.

    \b
    Examples:
      oncall incidents list
      oncall incidents ack 3f2a9c1e --note "looking at the seller feed"
      oncall incidents stats --json | jq .median
    """


@incidents_group.command("list")
@click.option(
    "--state", type=click.Choice(["ACTIVE", "RESOLVED"]), default=None, help="Only this state. [default: all]"
)
@json_option
@home_option
@oncall_command
def list_command(state: str | None, as_json: bool, home: str | None) -> None:
    """List incidents, newest first.

    Reads <home>/lifecycle.db; writes nothing.

    \b
    Examples:
      oncall incidents list --state ACTIVE
      oncall incidents list --json | jq '.[].title'
    """
    from oncall.agents.lifecycle import list_incidents

    found = list_incidents(make_config(home), state=state)
    if as_json:
        echo_json([i.model_dump(mode="json") for i in found])
        return
    if not found:
        click.echo("No incidents. `oncall watch --once` opens them from failing assertion runs.")
    for i in found:
        colour = "red" if i.state == "ACTIVE" else "green"
        status = click.style(f"{i.state:8} {i.stage or '':18}", fg=colour)
        failing = f"{len(i.failing())}/{len(i.assertions)} failing"
        owners = ", ".join(o.rsplit(":", 1)[-1] for o in i.assignees) or "unassigned"
        click.echo(
            f"{status} {_PRIORITY.get(i.priority, '?'):8} {i.urn[-8:]}  {i.title}  ({failing}; {owners})"
        )


def _print_incident(i: TrackedIncident) -> None:
    click.echo(click.style(i.title, bold=True))
    click.echo(f"urn:       {i.urn}")
    click.echo(f"state:     {i.state} / {i.stage}   priority {_PRIORITY.get(i.priority, '?')}")
    click.echo(f"origin:    {_name(i.origin, i.names)}  ({i.origin})")
    click.echo(f"owners:    {', '.join(i.assignees) or 'none in DataHub (unassigned)'}")
    if i.hands_off:
        click.echo(f"watcher:   hands off ({i.hands_off})")
    click.echo(
        f"opened:    {_when(i.opened_ms)}   acked: {_when(i.acked_ms)}   resolved: {_when(i.resolved_ms)}"
    )
    click.echo("assertions:")
    for a in i.assertions:
        state = "DELETED" if a.deleted else a.last_result
        colour = "green" if state == "SUCCESS" else "red"
        click.echo(
            f"  {click.style(f'{state:8}', fg=colour)} {a.native_type} on {_name(a.dataset_urn, i.names)}"
            f"  (first failed run {a.first_run_id or '?'}, latest run {a.last_run_id or '?'})"
        )
    for path in i.paths:
        click.echo("path:      " + " \u2192 ".join(_name(u, i.names) for u in path))
    click.echo(f"affected:  {len(i.affected)} entities, {len(i.dashboards)} dashboards")
    click.echo("timeline:")
    for t in i.timeline:
        click.echo(f"  {_when(t.ts_ms)}  {t.state}/{t.stage}  {t.message}  ({t.actor.rsplit(':', 1)[-1]})")


@incidents_group.command("show")
@click.argument("urn")
@json_option
@home_option
@oncall_command
def show_command(urn: str, as_json: bool, home: str | None) -> None:
    """Show an incident: assertions, paths, owners, timeline.

    URN may be the whole incident URN or a unique end of it (the 8 characters `list` shows). Writes
    nothing.

    \b
    Examples:
      oncall incidents show 3f2a9c1e
      oncall incidents show urn:li:incident:... --json
    """
    from oncall.agents.lifecycle import show_incident

    incident = show_incident(make_config(home), urn)
    if as_json:
        echo_json(incident.model_dump(mode="json"))
    else:
        _print_incident(incident)


def _by_option() -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    # a function so each command gets its own option object
    return click.option(
        "--by",
        default=None,
        metavar="USER",
        help="Who you are in DataHub (a username or corpuser URN). [default: your login]",
    )


def _actor(by: str | None) -> str:
    who = by or getpass.getuser()
    return who if who.startswith("urn:li:") else f"urn:li:corpuser:{who}"


def _change(home: str | None, urn: str, as_json: bool, action: str, **kwargs: object) -> None:
    from oncall.agents import lifecycle
    from oncall.cli._common import open_setup_catalog

    config = make_config(home)
    catalog = open_setup_catalog(config, read_only=False)
    try:
        incident = getattr(lifecycle, action)(config, catalog, urn, **kwargs)
    finally:
        catalog.close()
    if as_json:
        echo_json(incident.model_dump(mode="json"))
    else:
        click.echo(f"{incident.state} / {incident.stage}: {incident.title} ({incident.urn})")
        click.echo(click.style(incident.timeline[-1].message, dim=True))


@incidents_group.command("ack")
@click.argument("urn")
@click.option("--note", default=None, help="A line for the incident's timeline and Slack.")
@_by_option()
@json_option
@home_option
@oncall_command
def ack_command(urn: str, note: str | None, by: str | None, as_json: bool, home: str | None) -> None:
    """Acknowledge an incident (stage INVESTIGATION).

    Writes the new stage to DataHub with you as the actor, reads it back, and queues the Slack update.
    The watcher still resolves it when its assertions pass again.

    \b
    Examples:
      oncall incidents ack 3f2a9c1e
      oncall incidents ack 3f2a9c1e --by alice --note "looking at the seller feed"
    """
    _change(home, urn, as_json, "acknowledge", by=_actor(by), note=note)


@incidents_group.command("resolve")
@click.argument("urn")
@click.option(
    "--stage",
    type=click.Choice(["FIXED", "NO_ACTION_REQUIRED"]),
    default="FIXED",
    show_default=True,
    help="How it ended.",
)
@click.option("--note", default=None, help="A line for the incident's timeline and Slack.")
@_by_option()
@json_option
@home_option
@oncall_command
def resolve_command(
    urn: str, stage: str, note: str | None, by: str | None, as_json: bool, home: str | None
) -> None:
    """Resolve an incident yourself (final for the watcher).

    Writes RESOLVED and the stage to DataHub with you as the actor, reads it back, and queues the
    Slack update. A later failure of the same origin opens a new incident.

    \b
    Examples:
      oncall incidents resolve 3f2a9c1e
      oncall incidents resolve 3f2a9c1e --stage NO_ACTION_REQUIRED --note "expected: backfill"
    """
    _change(home, urn, as_json, "resolve", by=_actor(by), stage=stage, note=note)


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} s"


@incidents_group.command("stats")
@json_option
@home_option
@oncall_command
def stats_command(as_json: bool, home: str | None) -> None:
    """Time to open, acknowledge and resolve; medians.

    Time to open runs from the first failing run event to the incident. Writes nothing.

    \b
    Examples:
      oncall incidents stats
      oncall incidents stats --json | jq .median
    """
    from oncall.agents.lifecycle import incident_stats

    stats = incident_stats(make_config(home))
    if as_json:
        echo_json(stats)
        return
    click.echo(f"{'incident':10} {'state':9} {'to open':>10} {'to ack':>10} {'to resolve':>11}  title")
    for r in stats["incidents"]:
        click.echo(
            f"{r['urn'][-8:]:10} {r['state']:9} {_seconds(r['time_to_open_s']):>10} "
            f"{_seconds(r['time_to_ack_s']):>10} {_seconds(r['time_to_resolve_s']):>11}  {r['title']}"
        )
    med = stats["median"]
    click.echo(
        f"{'median':10} {'':9} {_seconds(med['time_to_open_s']):>10} {_seconds(med['time_to_ack_s']):>10} "
        f"{_seconds(med['time_to_resolve_s']):>11}  ({stats['count']} incidents, {stats['active']} active)"
    )


def register(main: click.Group) -> None:
    """Add the `incidents` group to the main group."""
    main.add_command(incidents_group)
