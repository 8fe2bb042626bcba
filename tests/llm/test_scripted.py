"""`RoleModel.scripted`: pydantic-ai's own scripted models behind the same call, no HTTP at all."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pydantic import BaseModel
from pydantic_ai.messages import ModelMessage, ModelRequest, ModelResponse, ToolCallPart, ToolReturnPart
from pydantic_ai.models.function import (
    AgentInfo,
    DeltaThinkingCalls,
    DeltaThinkingPart,
    DeltaToolCall,
    DeltaToolCalls,
    FunctionModel,
)
from pydantic_ai.models.test import TestModel

from oncall.errors import LLMError
from oncall.llm import Retry, RoleModel


class Origin(BaseModel):
    dataset: str
    confidence: float


DATASETS = {"olist_order_items", "olist_products", "olist_customers"}
calls: list[str] = []


def regressions(table: str) -> list[str]:
    """Failing assertions of a table in production that pass in the baseline."""
    calls.append(table)
    return ["seller_id_length_eq_32"] if table == "olist_order_items" else []


def _returned(messages: list[ModelMessage]) -> list[Any]:
    return [
        part.content
        for message in messages
        if isinstance(message, ModelRequest)
        for part in message.parts
        if isinstance(part, ToolReturnPart)
    ]


async def _investigator(
    messages: list[ModelMessage], info: AgentInfo
) -> AsyncIterator[DeltaToolCalls | DeltaThinkingCalls]:
    """Thinks, checks one table with the tool, then answers from what the tool said."""
    if not _returned(messages):
        yield {0: DeltaThinkingPart(content="Items feed the seller chart; ")}
        yield {0: DeltaThinkingPart(content="check them first.")}
        yield {
            1: DeltaToolCall(
                name="regressions", json_args='{"table": "olist_order_items"}', tool_call_id="c1"
            )
        }
        return
    found = _returned(messages)[0]
    answer = json.dumps({"dataset": "olist_order_items", "confidence": 0.9 if found else 0.1})
    yield {0: DeltaToolCall(name=info.output_tools[0].name, json_args=answer, tool_call_id="c2")}


def test_function_model_thinks_calls_a_tool_and_answers() -> None:
    calls.clear()
    events: list[tuple[str, dict[str, Any]]] = []
    model = RoleModel.scripted("coordinator", FunctionModel(stream_function=_investigator), price_in=1.0)
    origin = asyncio.run(
        model.run(
            "Find the origin.",
            "revenue dashboard wrong",
            Origin,
            tools=[regressions],
            emit=lambda k, d: events.append((k, d)),
        )
    )
    assert origin == Origin(dataset="olist_order_items", confidence=0.9)
    assert calls == ["olist_order_items"]
    thinking = "".join(d["text"] for k, d in events if k == "thinking")
    assert thinking == "Items feed the seller chart; check them first."
    assert [k for k, _ in events if k.startswith("tool")] == ["tool_call", "tool_result"]
    assert model.usage.calls == 2 and model.usage.runs == 1


def _plain_investigator(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    """The same investigator answering in one piece (no stream)."""
    if not _returned(messages):
        call = ToolCallPart("regressions", '{"table": "olist_order_items"}', tool_call_id="c1")
        return ModelResponse(parts=[call])
    answer = json.dumps({"dataset": "olist_order_items", "confidence": 0.9})
    return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, answer, tool_call_id="c2")])


def test_a_llamacpp_server_is_never_streamed_and_its_tool_calls_are_still_relayed() -> None:
    """llama-cpp-python's server counts no tokens in a stream: its calls go plain, and the tool call and
    result are relayed from the messages when the call ends (the output tool is the answer, not a call)."""
    calls.clear()
    events: list[tuple[str, dict[str, Any]]] = []
    scripted = FunctionModel(function=_plain_investigator, stream_function=_investigator)
    model = RoleModel.scripted("coordinator", scripted, profile="llamacpp")
    origin = asyncio.run(
        model.run("s", "p", Origin, tools=[regressions], emit=lambda k, d: events.append((k, d)))
    )
    assert origin.dataset == "olist_order_items" and calls == ["olist_order_items"]
    assert [k for k, _ in events] == ["tool_call", "tool_result", "message"]  # no thinking: not streamed
    assert events[0][1]["args"] == {"table": "olist_order_items"} and events[1][1]["ok"] is True
    assert events[-1][1]["usage"]["tokens_in"] > 0  # counted from the plain response


def test_test_model_fills_any_schema_and_exercises_every_tool() -> None:
    calls.clear()
    model = RoleModel.scripted("detective", TestModel())
    origin = asyncio.run(model.run("s", "p", Origin, tools=[regressions]))
    assert isinstance(origin, Origin)
    assert len(calls) == 1, "TestModel calls each tool once before answering"


def test_validator_rejections_on_a_scripted_model_end_in_llm_error() -> None:
    def real_dataset(origin: Origin) -> None:
        if origin.dataset not in DATASETS:
            raise Retry(f"{origin.dataset} is not a dataset in scope")

    model = RoleModel.scripted("detective", TestModel(), retries=1)  # TestModel answers 'a' every time
    with pytest.raises(LLMError, match="a is not a dataset in scope"):
        asyncio.run(model.run("s", "p", Origin, validators=[real_dataset]))
    assert model.usage.failures == 1


def test_a_crashing_model_is_an_llm_error() -> None:
    async def crash(_messages: list[ModelMessage], _info: AgentInfo) -> AsyncIterator[str]:
        raise ConnectionResetError("peer went away")
        yield ""  # pragma: no cover - makes this an async generator

    with pytest.raises(LLMError, match="ConnectionResetError: peer went away"):
        asyncio.run(RoleModel.scripted("fixer", FunctionModel(stream_function=crash)).run("s", "p", str))


def test_usage_per_role_counts_used_rejected_and_replaced_answers() -> None:
    from oncall.llm.models import role_usage

    answers = iter(["urn:li:dataset:(urn:li:dataPlatform:sqlite,made_up,PROD)", "olist_products"])

    async def guess(_messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[DeltaToolCalls]:
        payload = json.dumps({"dataset": next(answers, "nowhere"), "confidence": 0.5})
        yield {0: DeltaToolCall(name=info.output_tools[0].name, json_args=payload)}

    def real_dataset(origin: Origin) -> None:
        if origin.dataset not in DATASETS:
            raise Retry(f"{origin.dataset} is not a dataset in scope")

    model = RoleModel.scripted("detective", FunctionModel(stream_function=guess), retries=1)
    # first call: a made-up URN is sent back, the retry names a real table (used after a rejection)
    assert asyncio.run(model.run("s", "p", Origin, validators=[real_dataset])).dataset == "olist_products"
    # second call: the answers stay wrong until the retries are used up (replaced by the procedure)
    with pytest.raises(LLMError, match="rejected by verification: nowhere is not a dataset in scope"):
        asyncio.run(model.run("s", "p", Origin, validators=[real_dataset]))
    usage = role_usage(model.usage.records)["detective"]
    assert (usage.calls, usage.used, usage.rejected, usage.replaced) == (2, 1, 2, 1)
    assert usage.rejections == {"<urn> is not a dataset in scope": 1, "nowhere is not a dataset in scope": 2}
    assert usage.failures == {"rejected": 1} and len(usage.latency_ms) == 2
