"""The warm-start file: what a Lite handle read of the lineage, kept beside the file for the next process.

A new `oncall run` process starts with an empty memo, and on a big catalog most of its time goes to
reading the part of the lineage its run reaches: sibling groups, lineage hops, names, owners (about a
second for a 9k-entity blast radius at 100k datasets), and the scan for failing assertions. Those
change only when someone ingests or a check runs again, so a handle writes what it remembered of them
to `<file>.oncall-warm.json` when it closes, and the next handle takes each kind back only if none of
the aspects that kind is read from was written since (`lite_memo.DEPENDS`, by the read model's
per-aspect tokens; the file's random epoch must match too). Strings are written once, in a table.
A handle takes the file when its first run-sized read begins (a search, a whole closure, the failing
scan), so one that shows an entity page neither reads nor rewrites it. A stale or unreadable
warm-start file is ignored, never trusted: the reads are made again.

The file is JSON (it is read back into plain values, never unpickled); it carries the same data as the
catalog file beside it, so it needs no more protection than that file has.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from oncall.catalog.lite_groups import SiblingGroups
from oncall.catalog.lite_memo import Remembered
from oncall.catalog.types import EntityRef, trusted

__all__ = ["KINDS", "decode", "encode", "read", "warm_path", "write"]

log = logging.getLogger(__name__)

FORMAT = 3
KINDS = ("adjacent", "groups", "ref", "owners", "failing")
"""What is carried over: what the lineage walks read (the kinds whose aspects only ingestion writes)
and the failing-assertion scan (until a new run event)."""


def warm_path(catalog_path: Path) -> Path:
    return catalog_path.with_name(catalog_path.name + ".oncall-warm.json")


class _Strings:
    """A table of the strings (URNs, mostly) a file names, so each is written and parsed once: the
    same URN recurs as a key, a neighbour, a group member and a representative."""

    def __init__(self) -> None:
        self._index: dict[str, int] = {}  # in insertion order: the table

    def __call__(self, text: str) -> int:
        index = self._index
        return index.setdefault(text, len(index))

    def many(self, texts: Iterable[str]) -> list[int]:
        index = self._index
        return [index.setdefault(t, len(index)) for t in texts]

    @property
    def table(self) -> list[str]:
        return list(self._index)


def encode(epoch: str, tokens: dict[str, str | None], remembered: Remembered) -> dict[str, Any]:
    """JSON-ready data of `Memo.export`'s result, every string as an index into one table."""
    n = _Strings()
    adjacent: dict[str, list[list[Any]]] = {}
    for (direction, urn), far in remembered.get("adjacent", {}).items():
        adjacent.setdefault(direction, []).append([n(urn), n.many(far)])
    kept = remembered.get("groups", {}).get(())
    groups = None
    if isinstance(kept, SiblingGroups):
        plain = kept.to_plain()
        groups = {
            "groups": [n.many(g) for g in plain["groups"]],
            "reps": [[n(u), n(r)] for u, r in plain["reps"].items()],
            "all": plain["all"],
        }
    refs = [  # rows (see `_ref_row`), not objects; a URN alone: no ref
        [n(urn), *(_ref_row(ref, n) if ref is not None else [])]
        for (urn,), ref in remembered.get("ref", {}).items()
    ]
    owners = [[n(urn), n.many(found)] for (urn,), found in remembered.get("owners", {}).items()]
    failing = [  # per instance asked (None: every one): node -> its failing assertions
        [instance, [[n(node), n.many(urns)] for node, urns in found.items()]]
        for (instance,), found in remembered.get("failing", {}).items()
    ]
    return {
        "format": FORMAT,
        "epoch": epoch,
        "tokens": tokens,
        "strings": n.table,
        "adjacent": adjacent,
        "groups": groups,
        "ref": refs,
        "owners": owners,
        "failing": failing,
    }


def _ref_row(ref: EntityRef, n: _Strings) -> list[Any]:
    return [ref.type, ref.name, ref.platform, ref.instance, ref.subtype, n.many(ref.siblings)]


def decode(
    data: dict[str, Any], epoch: str, new_groups: SiblingGroups
) -> tuple[dict[str, str | None], Remembered] | None:
    """`Memo.adopt`'s arguments from `encode`'s data, or None if it is of another file or format.
    `new_groups` (an empty instance wired to the catalog) takes the sibling groups. A damaged file
    raises KeyError, IndexError, TypeError or ValueError."""
    if data.get("format") != FORMAT or data.get("epoch") != epoch:
        return None
    t: list[str] = data["strings"]
    remembered: Remembered = {
        "adjacent": {
            (direction, t[urn]): [t[f] for f in far]
            for direction, rows in data["adjacent"].items()
            for urn, far in rows
        },
        # Built from refs this code wrote from its own read model: not validated again.
        "ref": {(t[row[0]],): _ref(t, row) if len(row) > 1 else None for row in data["ref"]},
        "owners": {(t[urn],): [t[o] for o in found] for urn, found in data["owners"]},
        "failing": {
            (instance,): {t[node]: [t[u] for u in urns] for node, urns in found}
            for instance, found in data["failing"]
        },
    }
    groups = data.get("groups")
    if groups is not None:
        plain = {
            "groups": [[t[u] for u in g] for g in groups["groups"]],
            "reps": {t[u]: t[r] for u, r in groups["reps"]},
            "all": bool(groups["all"]),
        }
        remembered["groups"] = {(): new_groups.restore(plain)}
    return dict(data["tokens"]), {k: v for k, v in remembered.items() if v}


def _ref(t: list[str], row: list[Any]) -> EntityRef:
    urn, type_, name, platform, instance, subtype, siblings = row
    return trusted(
        EntityRef,
        urn=t[urn],
        type=type_,
        name=name,
        platform=platform,
        instance=instance,
        subtype=subtype,
        siblings=[t[s] for s in siblings],
    )


def read(catalog_path: Path) -> dict[str, Any] | None:
    """The warm-start file's data, or None if there is none or it cannot be read."""
    path = warm_path(catalog_path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.debug("ignoring the warm-start file %s: %s", path, exc)
        return None
    return data if isinstance(data, dict) else None


def write(catalog_path: Path, data: dict[str, Any]) -> None:
    """Replace the warm-start file at once (a reader sees the old one or the new one); a directory
    that cannot be written to only costs the next process its warm start."""
    path = warm_path(catalog_path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                # dumps, not dump: `json.dump` streams through the pure-Python encoder (0.4 s at 100k)
                out.write(json.dumps(data, separators=(",", ":")))
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        log.debug("could not write the warm-start file %s: %s", path, exc)
