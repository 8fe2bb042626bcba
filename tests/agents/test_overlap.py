"""Catalog reads started while a model call is in flight (`RunContext.prefetch`, agents/_runtime.py).

Lives with the LLM tests because it exists for them: it is what lets the incident loop overlap its
catalog work with model round trips. The agent's own `tool` call must take the early result exactly
once and report it as if it had run then; anything that does not match runs as before.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from oncall.agents._runtime import RunContext
from oncall.config import load_config
from oncall.errors import NotFoundError
from oncall.events import RunEvents


class Reads:
    """A catalog-like read that counts its calls (so a test sees whether it ran again)."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def find(self, name: str, *, limit: int = 5) -> list[str]:
        self.calls.append(name)
        if name == "missing":
            raise NotFoundError(f"no entity named {name}")
        return [f"urn:li:dataset:{name}"] * min(limit, 2)


def _context(home: Path) -> RunContext:
    return RunContext(config=load_config(home, environ={}), catalog=None, events=RunEvents("t"))  # type: ignore[arg-type]


def _tool_events(ctx: RunContext) -> list[tuple[str, dict[str, Any]]]:
    return [(e.kind, e.data) for e in ctx.events.events if e.kind in ("tool_call", "tool_result", "error")]


def test_the_matching_tool_call_takes_the_early_result_once(home: Path) -> None:
    reads = Reads()

    async def run(ctx: RunContext) -> tuple[list[str], list[str], list[str]]:
        ctx.prefetch(reads.find, "revenue", limit=1)
        await asyncio.sleep(0.05)  # the model call this overlaps
        taken = await ctx.tool("detective", "search", reads.find, "revenue", limit=1)
        again = await ctx.tool("detective", "search", reads.find, "revenue", limit=1)
        other = await ctx.tool("detective", "search", reads.find, "revenue", limit=2)
        await ctx.settle()
        return taken, again, other

    ctx = _context(home)
    taken, again, other = asyncio.run(run(ctx))
    assert taken == again == ["urn:li:dataset:revenue"] and len(other) == 2
    assert reads.calls == ["revenue"] * 3, "taken once; the repeat and the other arguments ran"
    events = _tool_events(ctx)
    assert [kind for kind, _ in events] == ["tool_call", "tool_result"] * 3
    assert events[0][1]["args"] == ["revenue", {"limit": 1}] and events[1][1]["count"] == 1
    assert ctx.prefetched == []


def test_the_same_read_started_twice_runs_once(home: Path) -> None:
    """The read ahead and the loop may both start the Fixer's read of the origins: one request."""
    reads = Reads()

    async def run(ctx: RunContext) -> list[str]:
        first = ctx.prefetch(reads.find, "revenue", limit=1)
        assert ctx.prefetch(reads.find, "revenue", limit=1) is first
        ctx.prefetch(reads.find, "revenue", limit=2)  # other arguments: another read
        taken = await ctx.tool("detective", "search", reads.find, "revenue", limit=1)
        await ctx.settle()
        return taken

    assert asyncio.run(run(_context(home))) == ["urn:li:dataset:revenue"]
    assert reads.calls == ["revenue", "revenue"]


def test_an_early_failure_surfaces_at_the_tool_call_and_an_untaken_read_is_settled(home: Path) -> None:
    reads = Reads()

    async def run(ctx: RunContext) -> None:
        ctx.prefetch(reads.find, "missing")
        ctx.prefetch(reads.find, "never asked for")
        with pytest.raises(NotFoundError, match="no entity named missing"):
            await ctx.tool("detective", "get", reads.find, "missing")
        await ctx.settle()

    ctx = _context(home)
    asyncio.run(run(ctx))
    assert sorted(reads.calls) == ["missing", "never asked for"]
    [(kind, data)] = _tool_events(ctx)
    assert kind == "error" and data["tool"] == "get" and data["type"] == "NotFoundError"
    assert ctx.prefetched == []


def test_a_tool_call_event_digests_long_lists_and_typed_objects(home: Path) -> None:
    """A tool's arguments in its event: 20 items of a long list and a count, a typed object as its URN
    (at 100k datasets, full reprs of a run's findings took seconds per call)."""
    from oncall.report.models import BlastRadiusEntry

    def count(urns: list[str], entry: BlastRadiusEntry) -> int:
        return len(urns)

    urns = [f"urn:li:dataset:d{i}" for i in range(500)]
    entry = BlastRadiusEntry(urn="urn:li:dataset:e", type="dataset", name="e")
    ctx = _context(home)
    assert asyncio.run(ctx.tool("coordinator", "count", count, urns, entry)) == 500
    args = _tool_events(ctx)[0][1]["args"]
    assert args[0] == [*urns[:20], "\u2026 480 more"]
    assert args[1] == "urn:li:dataset:e"
