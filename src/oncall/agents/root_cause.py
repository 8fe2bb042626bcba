"""Path-grounded root cause (DESIGN.md section 4), as pure functions over typed inputs.

A dataset is named as a cause only when a lineage path connects it to the symptom:

- the *closure* is the symptom's upstream lineage, extended by the referenced table of every failing
  foreign-key check inside it (a dropped customer row breaks the orders that point at it);
- *root causes* are the regressed datasets in the closure;
- an *origin* is a root cause with no regressed ancestor (lineage upstream or FK-referenced), except
  ancestors it is itself an ancestor of (a cycle explains nothing, so every member stays an origin);
- regressions outside the closure are reported as *elsewhere*, never as causes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

from pydantic import BaseModel, Field

from oncall.catalog.types import LineageNode
from oncall.quality.models import BaselineKind
from oncall.report.models import DiffEntry, RootCause

__all__ = ["Analysis", "analyse", "baseline_kind", "closure", "confidence", "regressed_ancestors"]


class Analysis(BaseModel):
    """The outcome of the join of the Detective's closure and the Reality-Checker's diff."""

    root_causes: list[RootCause] = Field(default_factory=list)
    """Origins first, then explained root causes; each with its path and failing checks."""
    elsewhere: list[DiffEntry] = Field(default_factory=list)
    closure: dict[str, list[str]] = Field(default_factory=dict)
    """Every URN in scope -> its path from the symptom."""
    via_fk: dict[str, str] = Field(default_factory=dict)
    """URNs that entered the closure through a failing FK check -> the referencing dataset."""

    @property
    def origins(self) -> list[RootCause]:
        """Root causes that are origins."""
        return [rc for rc in self.root_causes if rc.origin]


def _closure(
    symptom_urn: str, upstream: Sequence[LineageNode], regressions: Sequence[DiffEntry]
) -> tuple[dict[str, list[str]], dict[str, str]]:
    paths: dict[str, list[str]] = {symptom_urn: [symptom_urn]}
    for node in upstream:
        paths.setdefault(node.ref.urn, list(node.path) if node.path else [symptom_urn, node.ref.urn])
    via_fk: dict[str, str] = {}
    grew = True
    while grew:  # FK hops can chain (items -> orders -> customers); stop when nothing new enters
        grew = False
        for entry in regressions:
            ref = entry.referenced_dataset
            if ref and entry.dataset_urn in paths and ref not in paths:
                paths[ref] = [*paths[entry.dataset_urn], ref]
                via_fk[ref] = entry.dataset_urn
                grew = True
    return paths, via_fk


def closure(
    symptom_urn: str, upstream: Sequence[LineageNode], diff: Sequence[DiffEntry]
) -> dict[str, list[str]]:
    """Every URN in scope -> its path from the symptom: the upstream lineage, extended by the datasets
    failing foreign-key checks reference (what `analyse` joins the diff with)."""
    return _closure(symptom_urn, upstream, [e for e in diff if e.status == "regression"])[0]


def regressed_ancestors(
    urn: str,
    regressed: Iterable[str],
    ancestors: Mapping[str, Iterable[str]],
    fk_edges: Mapping[str, set[str]],
) -> set[str]:
    """Regressed datasets upstream of `urn` that `urn` is not itself upstream of.

    Args:
        urn: a regressed dataset.
        regressed: every regressed dataset in the closure.
        ancestors: dataset -> its full upstream lineage (URNs).
        fk_edges: dataset -> datasets its failing FK checks reference.
    """
    up = _reach(urn, ancestors, fk_edges)
    return {
        other
        for other in regressed
        if other != urn and other in up and urn not in _reach(other, ancestors, fk_edges)
    }


def _reach(urn: str, ancestors: Mapping[str, Iterable[str]], fk_edges: Mapping[str, set[str]]) -> set[str]:
    seen: set[str] = set()
    todo = [urn]
    while todo:
        current = todo.pop()
        for nxt in (*ancestors.get(current, ()), *fk_edges.get(current, ())):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    seen.discard(urn)
    return seen


def baseline_kind(entries: Sequence[DiffEntry]) -> BaselineKind:
    """'twin' when at least one regression was shown against a clean twin, else 'history'."""
    return "twin" if any(e.baseline_kind == "twin" for e in entries) else "history"


def confidence(entries: Sequence[DiffEntry], *, origin: bool, via: str) -> float:
    """How sure we are, from the evidence alone (no model).

    A check that passes on the clean twin and fails in production is strong evidence (0.9); against
    its own history it is weaker (0.75: the last pass may predate an intended change), so a dataset
    whose regressions are all history-based gets 0.75. Entering the closure only through an FK hop
    costs 0.1; each extra regressed check adds 0.02; a root cause that a regressed ancestor explains is
    halved.
    """
    base = 0.9 if baseline_kind(entries) == "twin" else 0.75
    if via == "foreign_key":
        base -= 0.1
    base += 0.02 * max(0, len(entries) - 1)
    if not origin:
        base *= 0.5
    return round(min(base, 0.98), 2)


def analyse(
    symptom_urn: str,
    upstream: Sequence[LineageNode],
    diff: Sequence[DiffEntry],
    ancestors: Mapping[str, Iterable[str]] | None = None,
) -> Analysis:
    """Join the symptom's upstream lineage with the assertion diff.

    Args:
        symptom_urn: the entity the incident is about.
        upstream: its upstream lineage nodes, each with the path from the symptom.
        diff: the assertion diff over (at least) the datasets in scope; non-regressions are ignored.
        ancestors: dataset -> its full upstream lineage, for the origin test. Defaults to what the
            symptom's paths show (enough when every dataset appears on one path).
    """
    regressions = [e for e in diff if e.status == "regression"]
    paths, via_fk = _closure(symptom_urn, upstream, regressions)
    by_dataset: dict[str, list[DiffEntry]] = defaultdict(list)
    elsewhere: list[DiffEntry] = []
    for entry in regressions:
        (by_dataset[entry.dataset_urn] if entry.dataset_urn in paths else elsewhere).append(entry)
    fk_edges: dict[str, set[str]] = defaultdict(set)
    for entry in regressions:
        if entry.referenced_dataset:
            fk_edges[entry.dataset_urn].add(entry.referenced_dataset)
    lineage_up = ancestors if ancestors is not None else _ancestors_from_paths(paths)
    causes: list[RootCause] = []
    for urn, entries in by_dataset.items():
        origin = not regressed_ancestors(urn, by_dataset, lineage_up, fk_edges)
        via: Literal["lineage", "foreign_key"] = "foreign_key" if urn in via_fk else "lineage"
        causes.append(
            RootCause(
                dataset_urn=urn,
                origin=origin,
                assertions=sorted(entries, key=lambda e: e.native_type),
                lineage_path=paths[urn],
                confidence=confidence(entries, origin=origin, via=via),
                via=via,
                baseline_kind=baseline_kind(entries),
            )
        )
    causes.sort(key=lambda rc: (not rc.origin, -rc.confidence, len(rc.lineage_path), rc.dataset_urn))
    elsewhere.sort(key=lambda e: (e.dataset_urn, e.native_type))
    return Analysis(root_causes=causes, elsewhere=elsewhere, closure=paths, via_fk=via_fk)


def _ancestors_from_paths(paths: Mapping[str, Sequence[str]]) -> dict[str, set[str]]:
    """Each path lists the symptom first: everything after a node on a path is upstream of it."""
    up: dict[str, set[str]] = defaultdict(set)
    for path in paths.values():
        for i, urn in enumerate(path):
            up[urn].update(path[i + 1 :])
    return up
