"""A catalog snapshot: reads answered once, then from memory, for as long as nothing is written.

The incident lifecycle runs one loop per independent failure cluster in a pass, and every loop asks the
catalog the same questions (the Reality-Checker diffs every production dataset each time: the same
assertions, the same twins). Within a pass nothing those reads depend on changes (the loops are dry
runs; the watcher writes only after it has grouped), so one snapshot per pass answers every cluster:
each distinct read is made once.

The snapshot wraps any `Catalog`. The reads listed in `CACHED` (the pure ones: entity pages, lineage,
twins, assertions, and the bulk reads of the same) are memoized by their arguments, errors included;
everything else, writes above all, goes straight to the catalog. Lists and dicts are handed out as
copies, so a caller that sorts what it got cannot change what the next caller gets. Thread-safe enough
for the loop's worker threads: a race only computes an answer twice.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable
from typing import Any, cast

from oncall.catalog.base import Catalog

__all__ = ["CACHED", "Snapshot", "snapshot"]

CACHED = frozenset(
    {
        "get",
        "exists",
        "lineage",
        "twin",
        "assertions",
        "list_urns",
        "get_many",
        "assertions_many",
        "failing_assertions",
        "lineage_graph",
    }
)
"""Catalog reads a snapshot memoizes (a name the catalog lacks is simply never called)."""


class Snapshot:
    """A read-through memo over `catalog` (see the module docstring); `reads`/`hits` count its use."""

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog
        self._memo: dict[Hashable, tuple[bool, Any]] = {}
        self.reads = 0
        self.hits = 0

    @property
    def catalog(self) -> Catalog:
        """The catalog underneath."""
        return self._catalog

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._catalog, name)
        if name not in CACHED or not callable(attr):
            return attr
        return self._memoized(name, attr)

    def _memoized(self, name: str, read: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(read)
        def cached(*args: Any, **kwargs: Any) -> Any:
            key = _key(name, args, kwargs)
            if key is None:  # unhashable arguments: not worth a memo
                return read(*args, **kwargs)
            found = self._memo.get(key)
            if found is None:
                self.reads += 1
                try:
                    found = (True, read(*args, **kwargs))
                except Exception as exc:  # an unknown URN is as stable an answer as a found one
                    found = (False, exc)
                self._memo[key] = found
            else:
                self.hits += 1
            ok, value = found
            if not ok:
                raise value
            return _copy(value)

        return cached


def snapshot(catalog: Catalog) -> Catalog:
    """`catalog` behind a fresh snapshot, typed as the catalog it stands for."""
    return cast(Catalog, Snapshot(catalog))


def _key(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Hashable | None:
    frozen = tuple(tuple(a) if isinstance(a, list) else a for a in args)
    items = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in kwargs.items()))
    key = (name, frozen, items)
    try:
        hash(key)
    except TypeError:
        return None
    return key


def _copy(value: Any) -> Any:
    if isinstance(value, list):
        return list(value)
    if isinstance(value, dict):
        return dict(value)
    return value
