"""`--help` teaches: for every command of the group, a summary line, what it writes, and examples."""

from __future__ import annotations

import click
import pytest

from oncall.cli.assertions import DEFAULT_TIMEOUT_S
from tests.cli._helpers import invoke, walk

COMMANDS = list(walk())
LEAVES = [(path, cmd) for path, cmd in COMMANDS if not isinstance(cmd, click.Group)]


def _param(path: tuple[str, ...], cmd: click.Command) -> object:
    return pytest.param(path, cmd, id=" ".join(path) or "oncall")


def test_the_walk_finds_every_group_and_command() -> None:
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {"", "run", "demo", "serve", "setup", "world build", "catalog search", "assertions diff"} <= names


@pytest.mark.parametrize(("path", "cmd"), [_param(p, c) for p, c in COMMANDS])
def test_help_renders_with_a_summary_and_examples(path: tuple[str, ...], cmd: click.Command) -> None:
    shown = invoke(*path, "--help")
    assert shown.code == 0, shown.err
    assert shown.out.startswith(f"Usage: oncall {' '.join(path)}".rstrip())
    # The summary fits the command list of the parent group without being cut off.
    assert not cmd.get_short_help_str(limit=65).endswith("..."), cmd.get_short_help_str(limit=65)
    assert "Example" in shown.out
    assert 1 <= len(_examples(shown.out)) <= 3, "one to three examples, each a whole command line"


def _examples(text: str) -> list[str]:
    """The command lines of the examples block: from its header to the next blank line."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if "Example" in line) + 1
    block = lines[start : next((i for i in range(start, len(lines)) if not lines[i].strip()), len(lines))]
    return [line for line in block if "oncall " in line]


@pytest.mark.parametrize(("path", "cmd"), [_param(p, c) for p, c in LEAVES])
def test_help_says_what_the_command_writes(path: tuple[str, ...], cmd: click.Command) -> None:
    text = (cmd.help or "").lower()
    assert "writ" in text, (
        f"`oncall {' '.join(path)} --help` should say what it writes (or that it writes nothing)"
    )


@pytest.mark.parametrize(("path", "cmd"), [pytest.param(p, c, id=" ".join(p)) for p, c in LEAVES])
def test_every_option_explains_itself_and_its_default(path: tuple[str, ...], cmd: click.Command) -> None:
    for param in cmd.params:
        if not isinstance(param, click.Option) or param.hidden:
            continue
        assert param.help, f"{' '.join(path)} {param.opts[0]} has no help"
        meaningful_default = (
            not param.is_flag and param.default not in (None, (), False) and not param.multiple
        )
        if meaningful_default:
            assert param.show_default or "[default" in param.help, f"{param.opts[0]} hides its default"


def test_the_shown_timeout_default_is_the_runners() -> None:
    from oncall.quality.runner import DEFAULT_TIMEOUT_S as RUNNER_DEFAULT

    assert DEFAULT_TIMEOUT_S == RUNNER_DEFAULT
    assert f"[default: {RUNNER_DEFAULT:g}" in invoke("assertions", "run", "--help").out.replace(".0]", "]")
