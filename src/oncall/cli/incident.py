"""Commands of the `incident` group (placeholder: filled by its issue)."""

from __future__ import annotations

import click

__all__ = ["register"]


def register(main: click.Group) -> None:
    """Add this module's commands to the main group."""
