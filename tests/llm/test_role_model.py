"""`RoleModel.run` against a real HTTP server speaking the Chat Completions wire format.

Every case ends in either a typed answer or `LLMError`, never another exception.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from oncall.errors import LLMError
from oncall.llm import CallRecord, Endpoint, Retry, RoleModel, critical_path_s, load_models, sequential_calls
from tests.llm.openai_standin import ANSWER_TOOL, Failure, OpenAIStandin, Reply, Stall, ToolCall, answer
from tests.plugins.llm import standin_config, standin_model


class Pick(BaseModel):
    urn: str
    reason: str


class Events:
    """Collects what `emit` receives."""

    def __init__(self) -> None:
        self.items: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, kind: str, data: dict[str, Any]) -> None:
        self.items.append((kind, data))

    def kinds(self) -> list[str]:
        return [kind for kind, _ in self.items]

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [data for k, data in self.items if k == kind]


def _role(standin: OpenAIStandin, **fields: Any) -> RoleModel:
    endpoint = Endpoint("detective", standin.url, "standin-detective", **{"timeout_s": 10.0, **fields})
    return RoleModel(endpoint, "secret-key")


def _run(model: RoleModel, output_type: type[Any] = Pick, **kwargs: Any) -> Any:
    return asyncio.run(model.run("You find entities.", "revenue dashboard wrong", output_type, **kwargs))


CATALOG = {"revenue": "urn:li:dashboard:(superset,olist_dirty.revenue)"}


def search(name: str) -> str:
    """Find the URN of an entity by its name."""
    return CATALOG.get(name, "nothing found")


def test_structured_answer_with_usage_and_cost(openai_standin: OpenAIStandin) -> None:
    openai_standin.script(
        [answer({"urn": "urn:x", "reason": "named"}, prompt_tokens=1000, completion_tokens=500)]
    )
    model, events = _role(openai_standin, price_in=2.0, price_out=10.0, max_tokens=321), Events()
    pick = _run(model, emit=events)
    assert pick == Pick(urn="urn:x", reason="named")
    assert (model.usage.calls, model.usage.tokens_in, model.usage.tokens_out) == (1, 1000, 500)
    assert model.usage.cost_usd == pytest.approx(1000 * 2.0 / 1e6 + 500 * 10.0 / 1e6)
    [message] = events.of("message")
    assert message["usage"]["requests"] == 1 and message["usage"]["error"] is None
    sent = openai_standin.requests[0]
    assert sent.headers["authorization"] == "Bearer secret-key"
    assert sent.body["stream"] is True and sent.body["stream_options"] == {"include_usage": True}
    assert sent.body["max_tokens"] == 321
    assert sent.messages[0] == {"role": "system", "content": "You find entities."}
    assert ANSWER_TOOL in sent.tool_names


def test_tool_call_then_answer_sends_the_result_back(openai_standin: OpenAIStandin) -> None:
    urn = CATALOG["revenue"]
    openai_standin.script(
        [Reply(tool_calls=[ToolCall("search", {"name": "revenue"})]), answer({"urn": urn, "reason": "r"})]
    )
    events = Events()
    pick = _run(_role(openai_standin), tools=[search], emit=events)
    assert pick.urn == urn
    [call] = events.of("tool_call")
    assert (call["tool"], call["args"]) == ("search", {"name": "revenue"})
    [result] = events.of("tool_result")
    assert result["ok"] and result["result"] == urn and result["id"] == call["id"]
    first, second = openai_standin.requests
    [tool] = [t for t in first.body["tools"] if t["function"]["name"] == "search"]
    assert tool["function"]["description"] == "Find the URN of an entity by its name."
    tool_message = second.messages[-1]
    assert tool_message["role"] == "tool" and tool_message["content"] == urn
    assert tool_message["tool_call_id"] == call["id"]


def test_reasoning_streams_as_thinking_events(openai_standin: OpenAIStandin) -> None:
    reasoning = "The user says revenue dashboard; dashboards outrank charts. " * 4
    openai_standin.script([answer({"urn": "u", "reason": "r"}, reasoning=reasoning)])
    events = Events()
    _run(_role(openai_standin), emit=events)
    thinking = events.of("thinking")
    assert len(thinking) > 1, "long reasoning arrives in several events"
    assert "".join(t["text"] for t in thinking) == reasoning
    assert {(t["role"], t["model"]) for t in thinking} == {("detective", "standin-detective")}
    assert events.kinds()[-1] == "message"


@pytest.mark.parametrize("streamed", [True, False])
@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
def test_reasoning_is_replayed_on_the_tool_call_turn(
    openai_standin: OpenAIStandin, field: str, streamed: bool
) -> None:
    thought = "I should search for revenue first."
    openai_standin.script(
        [
            Reply(
                reasoning=thought, reasoning_field=field, tool_calls=[ToolCall("search", {"name": "revenue"})]
            ),
            answer({"urn": "u", "reason": "r"}),
        ]
    )
    _run(_role(openai_standin), tools=[search], emit=Events() if streamed else None)
    assert openai_standin.requests[0].body.get("stream", False) is streamed, "streams only when watched"
    assistant = next(m for m in openai_standin.requests[1].messages if m["role"] == "assistant")
    assert assistant[field] == thought
    assert assistant["tool_calls"][0]["function"]["name"] == "search"


def test_malformed_tool_arguments_are_retried_then_answered(openai_standin: OpenAIStandin) -> None:
    openai_standin.script(
        [Reply(tool_calls=[ToolCall("search", '{"name": "rev')]), answer({"urn": "u", "reason": "r"})]
    )
    events = Events()
    assert _run(_role(openai_standin), tools=[search], emit=events).urn == "u"
    [result] = events.of("tool_result")
    assert result["ok"] is False and "json" in result["error"].lower()
    assert events.of("tool_call")[0]["args"] == '{"name": "rev', "unparseable args are passed on raw"


def test_malformed_tool_arguments_beyond_retries_fail(openai_standin: OpenAIStandin) -> None:
    bad = Reply(tool_calls=[ToolCall("search", "{not json")])
    openai_standin.script([bad, bad, bad])
    with pytest.raises(LLMError, match=r"detective model standin-detective gave no usable answer.*search"):
        _run(_role(openai_standin, retries=1), tools=[search])


def _known_urn(pick: Pick) -> None:
    if pick.urn not in CATALOG.values():
        raise Retry(f"{pick.urn} is not in the catalog; use a URN that search returned")


def test_made_up_value_is_sent_back_and_corrected(openai_standin: OpenAIStandin) -> None:
    openai_standin.script(
        [
            answer({"urn": "urn:li:invented", "reason": "r"}),
            answer({"urn": CATALOG["revenue"], "reason": "r"}),
        ]
    )
    pick = _run(_role(openai_standin), validators=[_known_urn])
    assert pick.urn == CATALOG["revenue"]
    feedback = json.dumps(openai_standin.requests[1].messages[-1])
    assert "urn:li:invented is not in the catalog" in feedback


def test_made_up_value_beyond_retries_fails(openai_standin: OpenAIStandin) -> None:
    openai_standin.script([answer({"urn": f"urn:li:invented{i}", "reason": "r"}) for i in range(3)])
    with pytest.raises(LLMError, match="invented"):
        _run(_role(openai_standin, retries=1), validators=[_known_urn])


def test_validator_may_replace_the_answer(openai_standin: OpenAIStandin) -> None:
    openai_standin.script([answer({"urn": " U ", "reason": "r"})])
    pick = _run(_role(openai_standin), validators=[lambda p: p.model_copy(update={"urn": p.urn.strip()})])
    assert pick.urn == "U"


def test_tool_raising_retry_tells_the_model(openai_standin: OpenAIStandin) -> None:
    def lineage(urn: str) -> list[str]:
        """Upstream datasets of an entity."""
        raise Retry(f"{urn} is unknown; call search first")

    openai_standin.script(
        [Reply(tool_calls=[ToolCall("lineage", {"urn": "x"})]), answer({"urn": "u", "reason": "r"})]
    )
    _run(_role(openai_standin), tools=[lineage])
    assert "x is unknown; call search first" in json.dumps(openai_standin.requests[1].messages[-1])


def test_tool_crash_is_an_llm_error(openai_standin: OpenAIStandin) -> None:
    def broken(name: str) -> str:
        """Always fails."""
        raise RuntimeError("catalog file locked")

    openai_standin.script([Reply(tool_calls=[ToolCall("broken", {"name": "x"})])])
    with pytest.raises(LLMError, match="catalog file locked"):
        _run(_role(openai_standin), tools=[broken])


@pytest.mark.parametrize("output_type", [Pick, str])
def test_reasoning_without_content_fails(openai_standin: OpenAIStandin, output_type: type[Any]) -> None:
    openai_standin.script([Reply(reasoning="thinking, thinking..."), Reply(reasoning="still thinking")])
    events = Events()
    with pytest.raises(LLMError, match="no usable answer"):
        _run(_role(openai_standin, retries=1), output_type, emit=events)
    assert events.of("thinking"), "the reasoning was still shown"
    assert events.of("message")[0]["usage"]["error"].startswith("detective model")


def test_plain_text_answer(openai_standin: OpenAIStandin) -> None:
    openai_standin.script([Reply(content="Three datasets regressed.")])
    assert _run(_role(openai_standin), str) == "Three datasets regressed."


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_http_failures(openai_standin: OpenAIStandin, status: int) -> None:
    openai_standin.script([Failure(status, "upstream says no")])
    model = _role(openai_standin)
    with pytest.raises(LLMError, match=f"HTTP {status}: upstream says no"):
        _run(model)
    assert len(openai_standin.requests) == 1, "no hidden SDK retries"
    assert (model.usage.failures, model.usage.calls) == (1, 1)


def test_timeout_covers_the_whole_call(openai_standin: OpenAIStandin) -> None:
    openai_standin.script([Stall(30.0)])
    with pytest.raises(LLMError, match=r"timed out after 0\.3s"):
        _run(_role(openai_standin, timeout_s=0.3))


def test_unreachable_endpoint(openai_standin: OpenAIStandin) -> None:
    url = openai_standin.url
    openai_standin.close()
    model = RoleModel(Endpoint("fixer", url, "m", timeout_s=5.0), "k")
    with pytest.raises(LLMError, match=r"fixer model m unreachable at http://127\.0\.0\.1"):
        _run(model)


def test_runaway_tool_loop_is_capped(openai_standin: OpenAIStandin) -> None:
    openai_standin.responder = lambda _req: Reply(tool_calls=[ToolCall("search", {"name": "revenue"})])
    with pytest.raises(LLMError, match="more than 3 requests"):
        _run(_role(openai_standin, max_requests=3), tools=[search])
    assert len(openai_standin.requests) == 3


def test_model_set_sums_roles_and_finds_the_critical_path(openai_standin: OpenAIStandin, home: Path) -> None:
    openai_standin.latency_s = 0.1
    for role in ("detective", "reality_checker", "coordinator"):
        openai_standin.script([answer({"urn": role, "reason": "r"})], model=standin_model(role))
    models = load_models(standin_config(home, openai_standin, price_in=1.0, price_out=1.0))

    async def loop() -> None:
        detective, checker = models.for_role("detective"), models.for_role("reality_checker")
        assert detective and checker
        await asyncio.gather(detective.run("s", "p", Pick), checker.run("s", "p", Pick))
        coordinator = models.for_role("coordinator")
        assert coordinator
        await coordinator.run("s", "p", Pick)

    asyncio.run(loop())
    assert models.usage.calls == 3 and models.usage.runs == 3
    assert sequential_calls(models.usage.records) == 2, "the two concurrent calls overlap"
    summary = models.summary()
    assert (summary.calls, summary.tokens_in, summary.tokens_out) == (3, 60, 30)
    assert summary.cost_usd == pytest.approx(90 / 1e6)
    assert summary.models["fixer"] == "standin-fixer"


def test_the_critical_path_in_round_trips_and_in_seconds_weighs_each_chain() -> None:
    # a (0-1 s, 2 round trips) and b (0.5-2 s, 1) overlap; c (2-3 s, 1) starts after both.
    def call(started: float, finished: float, requests: int) -> CallRecord:
        return CallRecord("r", "m", started, finished, requests, 0, 0, 0.0)

    records = [call(2.0, 3.0, 1), call(0.0, 1.0, 2), call(0.5, 2.0, 1)]
    assert sequential_calls(records) == 3  # a then c: the most round trips
    assert critical_path_s(records) == pytest.approx(2.5)  # b then c: the most seconds
    assert (sequential_calls([]), critical_path_s([])) == (0, 0.0)


def test_one_role_model_serves_runs_on_fresh_event_loops(openai_standin: OpenAIStandin) -> None:
    # The CLI runs each incident under its own asyncio.run; the client must not outlive its loop.
    openai_standin.script([answer({"urn": f"u{i}", "reason": "r"}) for i in range(3)])
    model = _role(openai_standin)
    assert [_run(model).urn for _ in range(3)] == ["u0", "u1", "u2"]
    assert model.usage.runs == 3 and model.usage.failures == 0


def test_think_tags_in_content_are_thinking_and_are_replayed(openai_standin: OpenAIStandin) -> None:
    # MiniMax-style interleaved thinking arrives inside `content` between <think> tags.
    openai_standin.script(
        [
            Reply(
                content="<think>Check the items table.</think>",
                tool_calls=[ToolCall("search", {"name": "revenue"})],
            ),
            Reply(content="<think>Found it.</think>The Revenue dashboard."),
        ]
    )
    events = Events()
    text = _run(_role(openai_standin), str, tools=[search], emit=events)
    assert text == "The Revenue dashboard."
    assert "".join(t["text"] for t in events.of("thinking")) == "Check the items table.Found it."
    assistant = next(m for m in openai_standin.requests[1].messages if m["role"] == "assistant")
    assert "Check the items table." in assistant["content"] and "<think>" in assistant["content"]
