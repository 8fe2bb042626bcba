"""Shared pieces of the commands: the --home/--json options, output, catalog access and error mapping.

Kept light on purpose: every command module imports this at startup, so it pulls in neither pydantic
nor DataHub; `oncall --help` stays fast.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import click

from oncall.config import Config, load_config
from oncall.errors import OncallError
from oncall.untrusted import strip_controls

if TYPE_CHECKING:
    from oncall.catalog import Catalog

__all__ = [
    "clean",
    "echo_json",
    "home_option",
    "json_option",
    "make_config",
    "oncall_command",
    "open_setup_catalog",
    "progress",
    "require_setup",
]

P = ParamSpec("P")
R = TypeVar("R")

home_option = click.option(
    "--home",
    type=click.Path(file_okay=False),
    default=None,
    envvar="ONCALL_HOME",
    show_envvar=True,
    help="Project home holding config.yaml, the world DBs, the DataHub Lite file and run history. "
    "[default: ./.oncall]",
)
json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print machine-readable JSON only on stdout (progress on stderr)."
)


def make_config(home: str | None, **overrides: Any) -> Config:
    """Resolve the config for a command (`ConfigError` for a catalog backend nobody registered)."""
    from oncall.catalog.backends import backend_for

    config = load_config(home, **overrides)
    backend_for(config)
    return config


def require_setup(config: Config) -> None:
    """Refuse early when the catalog was never set up (e.g. no Lite file): a step the person skipped
    (exit 2)."""
    from oncall.catalog.backends import check_ready

    check_ready(config)


def open_setup_catalog(config: Config, *, read_only: bool = True) -> Catalog:
    """Open the catalog, after `require_setup` (a missing Lite file is not an outage)."""
    require_setup(config)
    from oncall.catalog import open_catalog

    return open_catalog(config, read_only=read_only)


def _default(obj: Any) -> Any:
    if hasattr(obj, "model_dump"):  # a pydantic model, duck-typed so pydantic is not imported here
        return obj.model_dump(mode="json")
    if hasattr(obj, "__fspath__"):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


_C1 = {c: f"\\u{c:04x}" for c in range(0x80, 0xA0)}


def echo_json(data: Any) -> None:
    """Print `data` as indented JSON on stdout.

    JSON escapes C0 controls (ESC included); the C1 ones (U+009B is a CSI to some terminals) are
    escaped here too, so `oncall ... --json` in a terminal cannot be steered by catalog text.
    """
    click.echo(json.dumps(data, indent=2, default=_default, ensure_ascii=False).translate(_C1))


def clean(value: Any, *, keep_newlines: bool = False) -> Any:
    """`value` with terminal control sequences removed from every string in it, for printing.

    Catalog names and descriptions, model text and the incident report are untrusted: an ANSI or OSC
    sequence in them must not recolour, retitle or hyperlink the person's terminal.
    """
    if isinstance(value, str):
        return strip_controls(value, keep_newlines=keep_newlines)
    if isinstance(value, dict):
        return {k: clean(v, keep_newlines=keep_newlines) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v, keep_newlines=keep_newlines) for v in value]
    return value


def progress(message: str) -> None:
    """A progress line on stderr, so --json output on stdout stays clean."""
    click.echo(message, err=True)


def _one_line(message: str) -> str:
    # A person paged at night reads one line; libraries sometimes put the useful part on several.
    return " ".join(message.split())


def _os_message(exc: OSError) -> str:
    """'<path>: Permission denied' and what to check: the file system said no, not our code."""
    where = exc.filename if exc.filename is not None else "a file"
    if exc.filename2 is not None:
        where = f"{where} -> {exc.filename2}"
    reason = exc.strerror or str(exc) or type(exc).__name__
    return f"{where}: {reason} (check that the folder exists, is writable and has space)"


def oncall_command(func: Callable[P, R]) -> Callable[P, R]:
    """Turn domain errors into a one-line message and the error's exit code (2 = bad input).

    An `OSError` (read-only home, full disk, a file that cannot be read) is one line naming the path,
    exit 1; it is the machine, not a bug.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except OncallError as exc:
            click.echo(f"Error: {_one_line(clean(str(exc)))}", err=True)
            sys.exit(exc.exit_code)
        except OSError as exc:
            click.echo(f"Error: {_one_line(clean(_os_message(exc)))}", err=True)
            sys.exit(1)

    return wrapper
