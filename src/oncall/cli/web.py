"""`oncall serve`: the live web console (FastAPI on uvicorn)."""

from __future__ import annotations

import click

from oncall.cli._common import home_option, make_config, oncall_command, progress

__all__ = ["register"]


def _announce(url: str, token: str | None) -> None:
    link = f"{url}/?token={token}" if token else f"{url}/"
    progress(f"console: {link}  (Ctrl+C to stop)")


@click.command("serve")
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Interface to bind; beyond loopback needs a token."
)
@click.option(
    "--port", default=8765, show_default=True, type=click.IntRange(0, 65535), help="TCP port (0 = any free)."
)
@click.option(
    "--token",
    default=None,
    help="Require 'Authorization: Bearer TOKEN' on every API call. [default: $ONCALL_TOKEN]",
)
@home_option
@oncall_command
def serve_command(host: str, port: int, token: str | None, home: str | None) -> None:
    """Open the web console: run incidents and watch the four agents work, live."""
    from oncall.web.server import serve

    config = make_config(home, token=token)
    serve(config, host=host, port=port, on_ready=lambda url: _announce(url, config.token))


def register(main: click.Group) -> None:
    """Add `serve` to the main group."""
    main.add_command(serve_command)
