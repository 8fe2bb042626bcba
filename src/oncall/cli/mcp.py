"""`oncall mcp`: the MCP server for Claude Desktop, Cursor and any MCP client (imported when it starts)."""

from __future__ import annotations

import click

from oncall.cli._common import home_option, make_config, oncall_command, progress

__all__ = ["register"]


@click.command("mcp")
@click.option("--http", "http", is_flag=True, help="Serve streamable HTTP instead of stdio.")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="With --http: interface to bind; anything beyond loopback needs --token.",
)
@click.option(
    "--port",
    default=8766,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="With --http: TCP port (0 = any free port).",
)
@click.option(
    "--token",
    default=None,
    help="With --http: require 'Authorization: Bearer TOKEN' on every request. "
    "[default: $ONCALL_TOKEN, else none]",
)
@click.option(
    "--allow-writes",
    is_flag=True,
    default=None,
    help="Let clients write to DataHub: investigate_incident(dry_run=false), reset. "
    "[default: the mcp_allow_writes setting, else off]",
)
@home_option
@oncall_command
def mcp_command(
    http: bool, host: str, port: int, token: str | None, allow_writes: bool | None, home: str | None
) -> None:
    """Serve the incident loop as MCP tools.

    By default it speaks MCP on stdin/stdout, as Claude Desktop, Cursor and other clients expect when
    they start the server themselves; with --http it serves streamable HTTP at http://HOST:PORT/mcp
    until Ctrl+C. Tools: investigate_incident, get_run, list_runs, get_postmortem, diff_assertions,
    get_blast_radius, get_lineage_path, list_incidents, get_incident (and reset with --allow-writes).
    Runs land in <home>/runs/ like `oncall run`. Needs `oncall setup` first (tools say so otherwise).

    \b
    Examples:
      oncall mcp --home ~/oncall                     stdio, for a client's config file
      oncall mcp --http --port 0                     streamable HTTP on a free loopback port
      oncall mcp --http --host 0.0.0.0 --token "$(openssl rand -hex 16)" --allow-writes
    """
    overrides = {"mcp_allow_writes": True} if allow_writes else {}
    config = make_config(home, token=token, **overrides)
    try:
        if http:
            from oncall.mcp import serve_http

            serve_http(config, host=host, port=port, on_ready=_announce)
        else:
            import anyio

            from oncall.mcp import serve_stdio

            anyio.run(serve_stdio, config)
    except KeyboardInterrupt:  # how a person stops it, not a failure
        progress("MCP server stopped")


def _announce(url: str) -> None:
    progress(f"MCP endpoint: {url}  (Ctrl+C to stop)")


def register(main: click.Group) -> None:
    """Add `mcp` to the main group."""
    main.add_command(mcp_command)
