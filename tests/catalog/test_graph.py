"""`LineageGraph`'s answers from memory: reach and which starts reach each node, cycles included."""

from __future__ import annotations

from collections.abc import Set

from oncall.catalog.graph import LineageGraph
from oncall.catalog.types import EntityRef


def _graph(
    edges: dict[str, list[str]], starts: dict[str, str], hidden: Set[str] = frozenset()
) -> LineageGraph:
    nodes = set(edges) | {n for far in edges.values() for n in far}
    refs = {n: EntityRef(urn=n, type="dataset", name=n, platform="x") for n in nodes - set(hidden)}
    return LineageGraph(direction="downstream", starts=starts, edges=edges, refs=refs)


def test_reach_walks_through_unlisted_nodes_and_never_lists_its_start() -> None:
    graph = _graph(
        {"a": ["b", "job"], "job": ["c"], "b": ["a"], "c": []},  # a <-> b is a cycle
        {"a": "a", "a-sibling": "a", "b": "b"},
        hidden={"job"},
    )
    assert graph.reach("a") == {"b", "c"} and graph.reach("a-sibling") == {"b", "c"}
    assert graph.reach("b") == {"a", "c"}


def test_reached_by_names_every_start_reaching_a_node_in_the_order_given() -> None:
    graph = _graph(
        {"a": ["b"], "b": ["c", "a"], "c": ["d"], "d": [], "e": ["d"]},
        {"a": "a", "b": "b", "e": "e"},
    )
    starts = ["e", "b", "a"]
    reached = graph.reached_by(starts)
    assert reached == {node: [s for s in starts if node in graph.reach(s)] for node in "abcd"}
    assert reached["d"] == ["e", "b", "a"] and reached["a"] == ["b"] and reached["b"] == ["a"]
    assert "e" not in reached
