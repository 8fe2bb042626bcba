"""Reading ahead on a server: the reads the join will need, sent from the Detective's scope while the
Reality-Checker's scan of every failing check is still paging.

On a server every read is a round trip, and on a big catalog the scan is the run's longest chain (at
100k datasets, page after page of the largest platform). What the join reads after it (the symptom's
own diff, the upstream of the regressed datasets, the blast radius of the origins and its owners, the
Fixer's read of the origins' checks) depends in practice on the scope alone: a regression in scope
fails its latest run, so the scan finds the same one. So when the Detective has the scope and the scan
is not done, this diffs the scope, walks the upstream of the regressions in it and starts the blast
radius and the Fixer's read of the origins they point to. If the scan ends while the scope is still
being diffed, the read ahead starts no further read and the join reads as without it (on a small
catalog the scan ends first, and waiting would only add the scope's diff to the run's chain). Once
the walk has started it is the join's own walk on its way: the read ahead goes on to its end and the
join waits for it rather than send the same lineage reads again.

The join still decides from the whole diff, exactly as without reading ahead: it uses these results
only where its own calls are the same ones (a blast radius read ahead for other origins is wasted
work, never a different answer).

Only where reads are round trips (`catalog.backends.reads_are_round_trips`: in process, the extra reads
only cost CPU), with no production instance (every dataset is production, so a scope URN is the URN
the diff keys its entries by), and for a scope of at most `MAX_SCOPE` datasets.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from oncall.agents import detective, fixer, reality_checker
from oncall.agents._runtime import RunContext
from oncall.agents.ancestry import ancestors, walk_of
from oncall.agents.blast_radius import blast_radius
from oncall.agents.root_cause import analyse, closure
from oncall.catalog.backends import reads_are_round_trips
from oncall.report.models import DiffEntry

__all__ = ["MAX_SCOPE", "Ahead", "read_ahead", "reads_ahead"]

MAX_SCOPE = 5000
"""Datasets in scope beyond which the run waits for the scan: reading a whole mesh's assertions twice
(25k datasets upstream) would double the server's load to save a few round trips."""


@dataclass
class Ahead:
    """What was read ahead: the diff of the scope's datasets and the upstream of its regressions."""

    entries: list[DiffEntry] = field(default_factory=list)
    covered: set[str] = field(default_factory=set)
    """The datasets diffed (those without assertions have no entries)."""
    upstream: dict[str, set[str]] = field(default_factory=dict)
    """Regressed dataset -> its full upstream lineage."""
    committed: bool = False
    """The walk has started: the read ahead runs to its end whenever the scan ends, and the join waits."""

    def diff_of(self, urns: Sequence[str]) -> list[DiffEntry] | None:
        """These datasets' entries in the order the diff would list them; None unless all were diffed."""
        if not set(urns) <= self.covered:
            return None
        by_dataset: dict[str, list[DiffEntry]] = {}
        for entry in self.entries:
            by_dataset.setdefault(entry.dataset_urn, []).append(entry)
        return [e for urn in dict.fromkeys(urns) for e in by_dataset.get(urn, [])]


def reads_ahead(ctx: RunContext) -> bool:
    """Whether this run reads ahead (see the module's docstring)."""
    return ctx.config.production_instance is None and reads_are_round_trips(ctx.catalog)


async def read_ahead(
    ctx: RunContext, found: detective.DetectiveReport, until: asyncio.Future[Any], ahead: Ahead
) -> Ahead | None:
    """Diff the scope, walk the upstream of its regressions, and start the blast radius and the Fixer's
    read of the origins that gives, into `ahead`. None when the scope is too big to read twice, a read
    failed (the join then reads as it would have, and reports the failure), or `until` (the scan)
    ended before the walk started (`Ahead.committed`): the join then goes on without it, and no
    further read is started."""
    assert found.symptom is not None
    symptom = found.symptom.urn
    scope = [symptom] if found.symptom.type == "dataset" else []
    scope = list(dict.fromkeys([*scope, *(n.ref.urn for n in found.upstream if n.ref.type == "dataset")]))
    if not scope or len(scope) > MAX_SCOPE:
        return None
    named = {symptom, *(n.ref.urn for n in found.upstream)}
    try:
        todo = scope
        while todo:  # then what the scope's failing FK checks point at, as it grows
            if until.done():
                return None
            ahead.entries += await reality_checker.diff_scope(ctx, todo)
            ahead.covered |= set(todo)
            paths = closure(symptom, found.upstream, ahead.entries)
            todo = [u for u in paths if u not in named and u not in ahead.covered]
        if until.done():
            return None
        in_scope, regressed, fk_edges = walk_of(symptom, found.upstream, ahead.entries)
        ahead.committed = True  # set with no await since the check: the join sees it when the scan ends
        ahead.upstream = await ctx.tool(
            "coordinator", "upstream_ahead", ancestors, ctx.catalog, in_scope, regressed, fk_edges
        )
    except Exception:
        return None
    analysis = analyse(symptom, found.upstream, ahead.entries, ahead.upstream)
    if analysis.origins:
        ctx.prefetch(blast_radius, ctx.catalog, [rc.dataset_urn for rc in analysis.origins])
        fn, *args, kwargs = fixer.origin_checks_call(ctx, analysis.origins)
        ctx.prefetch(fn, *args, **kwargs)
    return ahead
