"""The sibling groups of a Lite file, read as a run reaches them (not the whole file up front).

A dbt model and its warehouse table are one node (`oncall.catalog.siblings`). The Lite adapter needs
each URN's group and representative everywhere: search hits, every lineage hop, pages, owners,
assertions. Reading every sibling edge of the file first cost a 100k-dataset catalog 160k rows and a
second or so in every new process, and again after every `siblings` write (`lite_memo`).
`SiblingGroups` reads only the groups of the URNs it is asked to `load`: the sibling
edges of those URNs and of each sibling found, until the groups are closed (one or two indexed queries
per batch, since groups are a model and its table).

`rep` and `members` of a URN that was never loaded raise `KeyError`: a forgotten `load` fails loudly
instead of splitting a group in two.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from oncall.catalog.siblings import representative

__all__ = ["EdgeReader", "SiblingGroups", "components"]

EdgeReader = Callable[[Sequence[str]], Iterable[tuple[str, str, str]]]
"""(urn, kind, target) rows of the `sibling`, `sibling_primary` and `sibling_secondary` edges that
start or end at any of the URNs given."""


def components(rows: Iterable[tuple[str, str, str]]) -> list[tuple[frozenset[str], str]]:
    """The groups of these edge rows with their representatives: `sibling` joins urn and target;
    `sibling_primary` / `sibling_secondary` record the flag urn declares (and make it a group of its
    own at least)."""
    sets: dict[str, set[str]] = {}  # groups are small (a model and its table): merge sets
    flags: dict[str, bool] = {}
    for src, kind, dst in rows:
        if kind != "sibling":
            flags[src] = kind == "sibling_primary"
            sets.setdefault(src, {src})
            continue
        a, b = sets.get(src), sets.get(dst)
        if a is not None and a is b:
            continue  # the other side's aspect names the same pair
        if a is None and b is None:
            sets[src] = sets[dst] = {src, dst}
        elif a is None or b is None:
            grown, new = (b, src) if a is None else (a, dst)
            assert grown is not None
            grown.add(new)
            sets[new] = grown
        else:
            small, big = (a, b) if len(a) < len(b) else (b, a)
            big |= small
            for urn in small:
                sets[urn] = big
    out: list[tuple[frozenset[str], str]] = []
    done: set[int] = set()
    for group in sets.values():
        if id(group) not in done:
            done.add(id(group))
            out.append((frozenset(group), representative({m: flags.get(m) for m in group})))
    return out


class SiblingGroups:
    """Each loaded URN's group and representative (a URN in no group stands alone).

    One instance lives until a `siblings` write (`lite_memo`) and is shared by the adapter's threads:
    `load` reads outside the lock and publishes whole groups under it, so a reader sees a group
    complete or not at all."""

    def __init__(
        self, read_edges: EdgeReader, read_all: Callable[[], Iterable[tuple[str, str, str]]]
    ) -> None:
        self._read_edges = read_edges
        self._read_all = read_all
        self._group: dict[str, tuple[str, ...]] = {}  # sorted, shared by the members
        self._reps: dict[str, str] = {}
        self._all = False
        self._lock = threading.Lock()

    def load_all(self) -> SiblingGroups:
        """Every group of the file, in one scan of its sibling edges (for a listing of the whole
        catalog, where asking URN by URN would cost more); returns self."""
        if not self._all:
            self._publish(components(self._read_all()), ())
            self._all = True
        return self

    def load(self, urns: Iterable[str]) -> SiblingGroups:
        """Make the groups of `urns` known (reading only those not known yet); returns self."""
        if self._all:
            return self
        frontier = [u for u in dict.fromkeys(urns) if u not in self._reps]
        if not frontier:
            return self
        seen = set(frontier)
        rows: list[tuple[str, str, str]] = []
        while frontier:  # close the groups: a sibling found may have siblings of its own
            found = list(self._read_edges(frontier))
            rows += found
            frontier = sorted({u for src, _, dst in found for u in (src, dst)} - seen)
            seen.update(frontier)
        self._publish(components(rows), seen)
        return self

    def _publish(self, groups: list[tuple[frozenset[str], str]], alone: Iterable[str]) -> None:
        with self._lock:
            for members, rep in groups:
                ordered = tuple(sorted(members))
                for urn in members:
                    self._group[urn] = ordered
                    self._reps[urn] = rep
            for urn in alone:
                self._reps.setdefault(urn, urn)

    def to_plain(self) -> dict[str, Any]:
        """What is known, as JSON-ready data (`restore` takes it back)."""
        with self._lock:
            groups = {id(g): sorted(g) for g in self._group.values()}
            return {"groups": list(groups.values()), "reps": dict(self._reps), "all": self._all}

    def restore(self, plain: dict[str, Any]) -> SiblingGroups:
        """Know what `to_plain` of another instance knew (of the same file, no `siblings` write since)."""
        with self._lock:
            for members in plain["groups"]:
                group = tuple(sorted(set(members)))
                for urn in group:
                    self._group[urn] = group
            self._reps.update(plain["reps"])
            self._all = self._all or bool(plain["all"])
        return self

    def members(self, urn: str) -> list[str]:
        """The URNs of `urn`'s group, sorted (just `urn` when it has no siblings)."""
        group = self._group.get(urn)
        if group is None and not self._all and urn not in self._reps:
            raise KeyError(f"the sibling group of {urn} was not loaded")
        return list(group) if group is not None else [urn]

    def rep(self, urn: str) -> str:
        """The URN that stands for `urn`'s group."""
        return self._reps.get(urn, urn) if self._all else self._reps[urn]

    def is_secondary(self, urn: str) -> bool:
        """True if `urn` belongs to a group that another URN stands for."""
        return self.rep(urn) != urn
