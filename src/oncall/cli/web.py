"""`oncall serve`: the live web console (FastAPI on uvicorn), imported only when it starts."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

import click

from oncall.cli._common import home_option, make_config, oncall_command, progress
from oncall.config import Config

__all__ = ["console_link", "register", "serve_until_interrupted"]


def console_link(url: str, token: str | None, *, run_id: str | None = None) -> str:
    """The console page under base `url`; with a run, the page that replays it.

    The page keeps a `?token=` once (then drops it from the address bar), so a token-protected console
    opens from the printed link without another step.
    """
    params = {"run": run_id, "token": token}
    query = urlencode({k: v for k, v in params.items() if v})
    return f"{url}/?{query}" if query else f"{url}/"


@click.command("serve")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Interface to bind; anything beyond loopback needs --token.",
)
@click.option(
    "--port",
    default=8765,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="TCP port (0 = any free port).",
)
@click.option(
    "--token",
    default=None,
    help="Require 'Authorization: Bearer TOKEN' on every API call. [default: $ONCALL_TOKEN, else none]",
)
@home_option
@oncall_command
def serve_command(host: str, port: int, token: str | None, home: str | None) -> None:
    """Open the live web console.

    Run incidents from the browser and watch the four agents work, live. Serves until Ctrl+C and prints
    the console's address on stderr. Runs started from the page write to DataHub and to <home>/runs/
    like `oncall run`; past runs there can be replayed.

    \b
    Examples:
      oncall serve                                   http://127.0.0.1:8765/
      oncall serve --port 0                          any free port
      oncall serve --host 0.0.0.0 --token "$(openssl rand -hex 16)"
    """
    config = make_config(home, token=token)
    serve_until_interrupted(config, host, port, lambda url: f"console: {console_link(url, config.token)}")


def serve_until_interrupted(config: Config, host: str, port: int, announce: Callable[[str], str]) -> None:
    """Serve the console until Ctrl+C, printing `announce(base_url)` on stderr once it listens.

    Ctrl+C is how a person stops it, not a failure: a short note and exit 0 rather than "Aborted!".
    uvicorn takes the signal, shuts down, then raises it again, which usually ends here as a
    KeyboardInterrupt; on a loaded machine `serve` was seen to return instead (exit 0, no note), so
    the note follows either way.
    """
    from oncall.web.server import serve

    try:
        serve(
            config, host=host, port=port, on_ready=lambda url: progress(f"{announce(url)}  (Ctrl+C to stop)")
        )
    except KeyboardInterrupt:
        pass
    progress("console stopped")


def register(main: click.Group) -> None:
    """Add `serve` to the main group."""
    main.add_command(serve_command)
