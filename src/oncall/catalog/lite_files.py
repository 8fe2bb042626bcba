"""A Lite file replaced whole: build into a temporary file next to it, swap it in only on success."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

__all__ = ["remove_db", "working_copy"]

_SIDECARS = ("-wal", "-shm", "-journal")


@contextlib.contextmanager
def working_copy(final: Path, *, keep: bool = True) -> Iterator[Path]:
    """A temporary path that replaces `final` only if the block succeeds.

    With `keep`, it starts as a consistent copy of `final` (when there is one); without, it is new.
    """
    tmp = final.with_name(f".{final.stem}.{os.getpid()}.tmp{final.suffix}")
    remove_db(tmp)
    try:
        if keep and final.exists():
            with (
                contextlib.closing(sqlite3.connect(final)) as src,
                contextlib.closing(sqlite3.connect(tmp)) as dst,
            ):
                src.backup(dst)  # consistent even with a -wal next to it
        yield tmp
        remove_db(final)  # a stale -wal of the old file must never be replayed into the new one
        os.replace(tmp, final)
    finally:
        remove_db(tmp)


def remove_db(path: Path) -> None:
    """Delete a SQLite file and its sidecars (-wal, -shm, -journal)."""
    for p in [path, *(path.with_name(path.name + s) for s in _SIDECARS)]:
        p.unlink(missing_ok=True)
