"""Invoking the real `oncall` group in-process, and walking its commands."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import click
from click.testing import CliRunner

from oncall.cli import main


@dataclass(frozen=True)
class Outcome:
    """What a person sees: the exit code and both streams."""

    code: int
    out: str
    err: str


def invoke(*args: str) -> Outcome:
    """Run `oncall ARGS` through CliRunner; an uncaught exception fails the test (it would be a traceback)."""
    result = CliRunner().invoke(main, list(args), prog_name="oncall", catch_exceptions=False)
    return Outcome(result.exit_code, result.stdout, result.stderr)


def walk(
    group: click.Group = main, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    """Every command and group under `group`, with its path of names (the group itself first)."""
    yield path, group
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from walk(command, (*path, name))
        else:
            yield (*path, name), command
