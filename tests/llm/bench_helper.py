"""LLM-path bench helper: our overhead around model calls, against the loopback stand-in.

The stand-in answers every request after a fixed latency (500 ms by default, a hosted model's order of
magnitude), so anything beyond `round trips x latency` is ours: building the agent and client, SSE
parsing, validation, event relay. `bench/` scripts import `llm_path_figures` (or `running_standin` to
drive the whole incident loop); run this module directly for the layer's own figures::

    python -m tests.llm.bench_helper --latency 0.5 --runs 5
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
from typing import Any

from pydantic import BaseModel

from oncall.llm import Endpoint, RoleModel, sequential_calls
from tests.llm.openai_standin import OpenAIStandin, Reply, ToolCall, answer, running_standin

__all__ = ["llm_path_figures"]


class _Pick(BaseModel):
    urn: str
    reason: str


def _lookup(name: str) -> str:
    """Find an entity by name."""
    return f"urn:li:dataset:{name}"


async def _one(standin: OpenAIStandin, with_tool: bool) -> tuple[float, int]:
    """One call; returns (our overhead in seconds, round trips)."""
    reasoning = "Look the dashboard up, then answer. " * 8
    script: list[Reply] = [answer({"urn": "urn:li:x", "reason": "r"}, reasoning=reasoning)]
    if with_tool:
        script.insert(0, Reply(reasoning=reasoning, tool_calls=[ToolCall("_lookup", {"name": "revenue"})]))
    standin.script(script)
    model = RoleModel(Endpoint("detective", standin.url, "bench", timeout_s=30.0), "k")
    events: list[str] = []
    seen = len(standin.requests)
    await model.run("s", "p", _Pick, tools=[_lookup], emit=lambda kind, _data: events.append(kind))
    [record] = model.usage.records
    waited = sum(r.server_s for r in standin.requests[seen:])
    return record.elapsed_s - waited, record.requests


def llm_path_figures(latency_s: float = 0.5, runs: int = 5, *, paced: bool = True) -> dict[str, Any]:
    """Median per-call overhead (ms): call time minus the time the stand-in spent answering.

    `paced` streams chunks over the latency as a generating model does (client parsing overlaps it);
    without it every chunk lands at once after the latency, an upper bound on our cost.
    """
    figures: dict[str, Any] = {"latency_ms": latency_s * 1000, "runs": runs, "paced": paced}
    with running_standin(latency_s, paced=paced) as standin:
        for label, with_tool in (("answer_only", False), ("tool_then_answer", True)):
            overheads, trips = [], 0
            for _ in range(runs):
                overhead, trips = asyncio.run(_one(standin, with_tool))
                overheads.append(overhead * 1000)
            figures[label] = {
                "round_trips": trips,
                "overhead_ms_median": round(statistics.median(overheads), 1),
            }
    return figures


def _concurrency_check(latency_s: float) -> int:
    """Two roles under asyncio.gather then one more: the critical path should be 2 round trips."""

    async def loop(url: str) -> int:
        models = [RoleModel(Endpoint("detective", url, f"m{i}", timeout_s=30.0), "k") for i in range(3)]
        await asyncio.gather(models[0].run("s", "p", _Pick), models[1].run("s", "p", _Pick))
        await models[2].run("s", "p", _Pick)
        return sequential_calls([r for m in models for r in m.usage.records])

    with running_standin(latency_s) as standin:
        standin.responder = lambda _req: answer({"urn": "u", "reason": "r"})
        return asyncio.run(loop(standin.url))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.5, help="stand-in seconds per request")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(llm_path_figures(args.latency, args.runs, paced=True))
    print(llm_path_figures(args.latency, args.runs, paced=False))
    print({"critical_path_round_trips(gather 2, then 1)": _concurrency_check(args.latency)})


if __name__ == "__main__":
    main()
