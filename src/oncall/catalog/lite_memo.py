"""The Lite adapter's memo: reads remembered until a write changes an aspect they were read from.

Every trigger of the read model (`_readmodel`) bumps the file's `generation` and renews a random
token per aspect name (`aspect:<name>`). A remembered read names its kind (the first part of its
key); `DEPENDS` says which aspects each kind is read from. When the generation moves, the memo reads
the tokens and drops only the kinds whose aspects' tokens changed. A run that writes incidents and
tags thus keeps the lineage, the sibling groups, names and owners it read, so the next run on the same
handle (the watcher keeps one) does not read the catalog's lineage again. A kind
not in `DEPENDS` is dropped on any write. `export` and `adopt` carry reads to a later process
(`lite_warm`) under the same rule.
"""

from __future__ import annotations

import concurrent.futures
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

__all__ = ["DEPENDS", "Memo", "Remembered"]

T = TypeVar("T")

_NAMES = frozenset(
    {
        "datasetProperties",
        "chartInfo",
        "dashboardInfo",
        "dataJobInfo",
        "subTypes",
        "dataPlatformInstance",
        "status",
    }
)
"""What names an entity, types it, places it in an instance or removes it (`oncall_text` name fields)."""
_WORDS = _NAMES | {
    "editableDatasetProperties",
    "editableChartProperties",
    "editableDashboardProperties",
    "editableDataJobProperties",
    "schemaMetadata",
    "globalTags",
    "glossaryTerms",
}
"""Every aspect with searchable text."""
_SIBLINGS = frozenset({"siblings"})
_LINEAGE = frozenset({"upstreamLineage", "dataJobInputOutput", "chartInfo", "dashboardInfo"})
_ASSERTIONS = frozenset({"assertionInfo", "assertionRunEvent", "dataPlatformInstance"})

DEPENDS: dict[str, frozenset[str]] = {
    "groups": _SIBLINGS,
    "adjacent": _LINEAGE,
    "ref": _NAMES | _SIBLINGS,
    "owners": _SIBLINGS | {"ownership", "status"},
    "lineage": _LINEAGE | _SIBLINGS | _NAMES,
    "lineage_graph": _LINEAGE | _SIBLINGS | _NAMES,
    "search_rows": _WORDS | _SIBLINGS,
    "assertions": _ASSERTIONS | _SIBLINGS | _NAMES,
    "failing": _ASSERTIONS | _SIBLINGS | _NAMES,
    "list": _NAMES | _SIBLINGS,
}
"""Memo kind -> the aspects its reads depend on (through the sibling groups and refs they use too).
`exists` and `get` (entity pages: every aspect, incidents included) are not here: any write drops them."""


Remembered = dict[str, dict[tuple[Any, ...], Any]]
"""Memo kind -> its remembered reads (the key after the kind -> the value)."""


class Memo:
    """Remembered reads of one catalog handle, shared by its threads (single flight per key).

    `read_generation()` returns the file's generation (None: no read model); `read_state()` the
    generation and the per-aspect tokens (aspect name -> token), read only when the generation moved.
    """

    def __init__(
        self,
        read_generation: Callable[[], str | None],
        read_state: Callable[[], tuple[str | None, dict[str, str]]],
    ) -> None:
        self._read_generation = read_generation
        self._read_state = read_state
        self._kinds: dict[Any, dict[tuple[Any, ...], Any]] = {}
        self._generation: str | None = None
        self._tokens: dict[str, str] = {}
        self._lock = threading.Lock()
        self._computing: dict[tuple[str | None, tuple[Any, ...]], concurrent.futures.Future[Any]] = {}

    def generation(self) -> str | None:
        """The current generation, after dropping what a write since the last call made stale.

        The generation and the tokens are read in one statement (one snapshot): a write between two
        reads could otherwise show in the tokens but not in the generation, and a read made
        before it would be kept.
        """
        fast = self._read_generation()
        if fast is not None and fast == self._generation:
            return fast
        generation, tokens = self._read_state()
        with self._lock:
            if generation is None or self._generation is None:
                self._kinds.clear()
            elif generation != self._generation:
                old = self._tokens
                changed = {k for k in tokens.keys() | old.keys() if tokens.get(k) != old.get(k)}
                for kind in list(self._kinds):
                    depends = DEPENDS.get(kind)
                    if depends is None or not changed.isdisjoint(depends):
                        del self._kinds[kind]
            self._generation, self._tokens = generation, tokens
        return generation

    def kept(self, kind: str, slot: tuple[Any, ...] = ()) -> Any | None:
        """The value remembered for `slot` of `kind`, if any (no read, no generation check)."""
        with self._lock:
            return self._kinds.get(kind, {}).get(slot)

    def forget(self) -> None:
        """Drop every remembered read (a bench timing the reads themselves)."""
        with self._lock:
            self._kinds.clear()

    def one(self, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
        """`compute()` once until a write changes what it read; key[0] is its kind."""
        generation = self.generation()
        slot = key[1:]
        with self._lock:
            kept = self._kinds.get(key[0])
            if kept is not None and slot in kept:
                return kept[slot]
            running = self._computing.get((generation, key))
            owner = running is None
            if running is None:  # single flight: the agents' threads ask for the same groups at once
                running = self._computing[(generation, key)] = concurrent.futures.Future()
        if not owner:
            return running.result()
        try:
            value = compute()
        except BaseException as exc:
            running.set_exception(exc)
            raise
        finally:
            with self._lock:
                self._computing.pop((generation, key), None)
        with self._lock:
            if self._generation == generation:
                self._kinds.setdefault(key[0], {})[slot] = value
        running.set_result(value)
        return value

    def many(
        self, kind: tuple[Any, ...], keys: Sequence[str], compute: Callable[[list[str]], dict[str, T]]
    ) -> dict[str, T]:
        """`one` for many keys at once: `compute(missing)` reads only those not remembered."""
        generation = self.generation()
        rest = kind[1:]
        with self._lock:
            kept = self._kinds.get(kind[0], {})
            found = {k: kept[(*rest, k)] for k in keys if (*rest, k) in kept}
        missing = [k for k in dict.fromkeys(keys) if k not in found]
        if missing:
            computed = compute(missing)
            with self._lock:
                if self._generation == generation:
                    self._kinds.setdefault(kind[0], {}).update({(*rest, k): v for k, v in computed.items()})
            found.update(computed)
        return found

    def export(self, kinds: Sequence[str]) -> tuple[dict[str, str | None], Remembered] | None:
        """What is remembered of `kinds` (each in `DEPENDS`), with the tokens of the aspects they were
        read from; None when the file has no read model. Stale reads are dropped first."""
        generation = self.generation()
        with self._lock:
            if generation is None or generation != self._generation:
                return None
            tokens = {a: self._tokens.get(a) for kind in kinds for a in DEPENDS[kind]}
            return tokens, {k: dict(self._kinds[k]) for k in kinds if self._kinds.get(k)}

    def adopt(self, tokens: dict[str, str | None], remembered: Remembered) -> list[str]:
        """Take reads that another handle remembered at `tokens` (`export`): each kind only if none of
        the aspects it reads was written since. Returns the kinds taken."""
        self.generation()
        taken: list[str] = []
        with self._lock:
            for kind, entries in remembered.items():
                depends = DEPENDS.get(kind)
                if depends is None or any(tokens.get(a, "?") != self._tokens.get(a) for a in depends):
                    continue
                self._kinds.setdefault(kind, {}).update(entries)
                taken.append(kind)
        return taken
