"""The demo's assertion suites: `kit` (hand-written checks on the Olist tables) and `profile` (rules
expanded from the schema and the clean baseline). The generic quality code takes suite files from its
caller; the commands and setup name these by their short names."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

__all__ = ["DEMO_SUITES", "demo_suite", "resolve_suites"]

DEMO_SUITES = ("kit", "profile")
_FOLDER = Path(__file__).resolve().parent / "suites"


def demo_suite(name: str) -> Path:
    """The file of the demo suite `name` (one of `DEMO_SUITES`)."""
    if name not in DEMO_SUITES:
        raise ValueError(f"no demo suite {name!r}; the demo has {', '.join(DEMO_SUITES)}")
    return _FOLDER / f"{name}.yaml"


def resolve_suites(names: Sequence[str | Path]) -> list[str | Path]:
    """Suite files for what a person typed: a demo suite's short name becomes its file; anything else
    (the path of their own suite) is passed on as given."""
    return [demo_suite(n) if isinstance(n, str) and n in DEMO_SUITES else n for n in names]
