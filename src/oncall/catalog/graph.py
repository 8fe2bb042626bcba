"""`LineageGraph`: the part of the lineage graph reachable from some entities, read in one pass.

`Catalog.lineage(urn)` answers for one start, with paths. Questions about many starts at once (the full
upstream of every regressed dataset, which origins reach each entity downstream) would cost one walk
per start; `Catalog.lineage_graph(urns)` reads the union once and these methods answer from memory.
Nodes are sibling groups (their representative URN), as in `lineage`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from oncall.catalog.types import EntityRef

__all__ = ["LineageGraph"]


@dataclass
class LineageGraph:
    """Nodes reachable from `starts` in `direction`, each with its one-hop neighbours."""

    direction: Literal["upstream", "downstream"]
    starts: dict[str, str] = field(default_factory=dict)
    """Each URN asked for -> its node (the representative of its sibling group)."""
    edges: dict[str, list[str]] = field(default_factory=dict)
    """Node -> its neighbours one hop away in `direction`."""
    refs: dict[str, EntityRef] = field(default_factory=dict)
    """The nodes `lineage` lists (the entity types it knows), with their refs; other nodes are only
    passed through."""

    def node(self, urn: str) -> str:
        """The node of an URN asked for (KeyError for any other)."""
        return self.starts[urn]

    def reach(self, urn: str) -> set[str]:
        """The nodes `lineage(urn, direction=self.direction)` lists: every listed node reachable from
        `urn`'s node, that node excluded."""
        start = self.node(urn)
        seen = {start}
        todo = [start]
        while todo:
            for nxt in self.edges.get(todo.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        seen.discard(start)
        return {u for u in seen if u in self.refs}

    def reached_by(self, urns: Sequence[str]) -> dict[str, list[str]]:
        """Node -> the URNs of `urns` (in their order) whose `reach` holds it, for every node reached.

        One propagation of bit sets over the graph (a bit per start), not a walk per start.
        """
        bits: dict[str, int] = {}
        for i, urn in enumerate(urns):
            start = self.node(urn)
            bits[start] = bits.get(start, 0) | (1 << i)
        own = dict(bits)
        masks = dict(bits)
        queue = deque(masks)
        queued = set(queue)
        while queue:
            current = queue.popleft()
            queued.discard(current)
            mask = masks[current]
            for nxt in self.edges.get(current, ()):
                old = masks.get(nxt, 0)
                if old | mask != old:
                    masks[nxt] = old | mask
                    if nxt not in queued:
                        queued.add(nxt)
                        queue.append(nxt)
        out: dict[str, list[str]] = {}
        for node, mask in masks.items():
            mask &= ~own.get(node, 0)  # `lineage` never lists its start, not even through a cycle
            if mask and node in self.refs:
                out[node] = [u for i, u in enumerate(urns) if mask >> i & 1]
        return out

    def nodes(self) -> Iterable[str]:
        """Every node of the graph."""
        return self.edges.keys()
