"""Shared pieces of the commands: the --home/--json options, output, and error mapping."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click
from pydantic import BaseModel

from oncall.config import Config, load_config
from oncall.errors import OncallError

__all__ = ["echo_json", "home_option", "json_option", "make_config", "oncall_command", "progress"]

F = TypeVar("F", bound=Callable[..., Any])

home_option = click.option(
    "--home",
    type=click.Path(file_okay=False),
    default=None,
    envvar="ONCALL_HOME",
    show_envvar=True,
    help="Project home for the world DBs, the DataHub Lite file and run history. [default: ./.oncall]",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON only.")


def make_config(home: str | None, **overrides: Any) -> Config:
    """Resolve the config for a command."""
    return load_config(home, **overrides)


def _default(obj: Any) -> Any:
    if isinstance(obj, BaseModel):
        return obj.model_dump(mode="json")
    if hasattr(obj, "__fspath__"):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def echo_json(data: Any) -> None:
    """Print `data` as indented JSON on stdout."""
    click.echo(json.dumps(data, indent=2, default=_default, ensure_ascii=False))


def progress(message: str) -> None:
    """A progress line on stderr, so --json output on stdout stays clean."""
    click.echo(message, err=True)


def oncall_command(func: F) -> F:
    """Turn domain errors into a one-line message and the error's exit code (2 = bad input)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except OncallError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(exc.exit_code)

    return wrapper  # type: ignore[return-value]
