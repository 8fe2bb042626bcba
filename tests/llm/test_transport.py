"""The HTTP layer under the SDK: SSE chunks that arrive together are merged without changing what they
say, and every role on one event loop shares one connection pool per endpoint."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx2
import pytest
from pydantic import BaseModel

from oncall.llm import Endpoint, RoleModel
from oncall.llm.roles import Role
from oncall.llm.transport import CoalescingTransport, coalesce_sse, shared_client
from tests.llm.openai_standin import OpenAIStandin, Reply, ToolCall, running_standin, stream_chunks


class Pick(BaseModel):
    urn: str


def _wire(reply: Reply) -> bytes:
    chunks = stream_chunks(reply, "m", "chatcmpl-1", include_usage=True)
    return b"".join(f"data: {json.dumps(c)}\n\n".encode() for c in chunks) + b"data: [DONE]\n\n"


def _events(wire: bytes) -> list[Any]:
    out: list[Any] = []
    for event in wire.split(b"\n\n")[:-1]:
        payload = event.removeprefix(b"data: ")
        out.append(payload.decode() if payload == b"[DONE]" else json.loads(payload))
    return out


def _said(events: list[Any]) -> dict[str, Any]:
    """What a stream says once reassembled: text per field, tool calls, finish reasons and usage."""
    said: dict[str, Any] = {"content": "", "reasoning_content": "", "calls": {}, "finish": [], "usage": []}
    for chunk in events:
        if chunk == "[DONE]":
            continue
        if chunk.get("usage"):
            said["usage"].append(chunk["usage"])
        for choice in chunk["choices"]:
            delta = choice["delta"]
            for name in ("content", "reasoning_content"):
                said[name] += delta.get(name) or ""
            for call in delta.get("tool_calls") or []:
                seen = said["calls"].setdefault(call["index"], {"id": None, "name": None, "arguments": ""})
                seen["id"] = call.get("id") or seen["id"]
                seen["name"] = call.get("function", {}).get("name") or seen["name"]
                seen["arguments"] += call.get("function", {}).get("arguments", "")
            if choice["finish_reason"]:
                said["finish"].append(choice["finish_reason"])
    return said


def test_merged_stream_says_the_same_in_a_few_chunks() -> None:
    reply = Reply(
        content="Let me look it up.",
        reasoning="The reporter means the Revenue dashboard, not the chart. " * 3,
        tool_calls=[ToolCall("search", {"query": "revenue dashboard", "limit": 5})],
    )
    raw = _wire(reply)
    merged = coalesce_sse(raw)
    before, after = _events(raw), _events(merged)
    assert _said(after) == _said(before)
    assert len(after) < len(before) // 4
    assert after[0] == before[0], "the role chunk is not a continuation"
    assert after[-1] == "[DONE]" and after[-2] == before[-2], "the usage chunk stays apart"
    assert [c["choices"][0]["finish_reason"] for c in after if c != "[DONE]" and c["choices"]][-1] == (
        "tool_calls"
    )


def test_thinking_tags_and_second_tool_calls_stay_separate() -> None:
    reply = Reply(
        content="<think>Check the items.</think>Revenue.",
        tool_calls=[ToolCall("a", {"x": 1}), ToolCall("b", {"y": 2})],
    )
    after = _events(coalesce_sse(_wire(reply)))
    contents = [c["choices"][0]["delta"].get("content") for c in after if c != "[DONE]" and c["choices"]]
    assert "<think>" in contents and "</think>" in contents
    calls = [
        c["choices"][0]["delta"]["tool_calls"][0]
        for c in after
        if c != "[DONE]" and c["choices"] and "tool_calls" in c["choices"][0]["delta"]
    ]
    assert [c["index"] for c in calls] == [0, 1]
    assert [json.loads(c["function"]["arguments"]) for c in calls] == [{"x": 1}, {"y": 2}]


def test_crlf_framed_and_non_stream_bodies_pass_untouched() -> None:
    crlf = b'data: {"a": 1}\r\n\r\ndata: {"a": 2}\r\n\r\n'

    def respond(request: httpx2.Request) -> httpx2.Response:
        if request.url.path == "/sse":
            return httpx2.Response(200, headers={"content-type": "text/event-stream"}, content=crlf)
        return httpx2.Response(200, headers={"content-type": "application/json"}, content=b'{"b": 1}')

    async def fetch(path: str) -> bytes:
        transport = CoalescingTransport(httpx2.MockTransport(respond))
        async with httpx2.AsyncClient(transport=transport, base_url="http://x") as client:
            return (await client.get(path)).content

    assert asyncio.run(fetch("/sse")) == crlf
    assert asyncio.run(fetch("/json")) == b'{"b": 1}'


def test_sdk_reassembles_a_coalesced_stream(openai_standin: OpenAIStandin) -> None:
    reasoning = "Dashboards outrank charts when the reporter says dashboard. " * 4
    openai_standin.script([Reply(content="Revenue.", reasoning=reasoning)])

    async def stream() -> list[Any]:
        client = shared_client(openai_standin.url, "k", 10.0, verify=False)
        chunks = await client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "x"}], stream=True
        )
        return [chunk async for chunk in chunks]

    chunks = asyncio.run(stream())
    deltas = [c.choices[0].delta for c in chunks if c.choices]
    assert "".join((d.model_extra or {}).get("reasoning_content", "") for d in deltas) == reasoning
    assert "".join(d.content or "" for d in deltas) == "Revenue."
    sent = len(list(stream_chunks(Reply(content="Revenue.", reasoning=reasoning), "m", "id", False)))
    assert len(chunks) < sent


@pytest.mark.parametrize("streamed", [False, True])
def test_roles_on_one_loop_share_a_connection_and_a_new_loop_opens_its_own(streamed: bool) -> None:
    thinking: list[str] = []
    emit = (
        (lambda kind, data: thinking.append(data["text"]) if kind == "thinking" else None)
        if streamed
        else None
    )
    with running_standin(keep_alive=True) as standin:
        standin.responder = lambda _req: Reply(
            reasoning="pick u", tool_calls=[ToolCall("final_result", {"urn": "u"})]
        )
        pair: tuple[Role, ...] = ("detective", "fixer")
        roles = [
            RoleModel(Endpoint(role, standin.url, f"standin-{role}", timeout_s=10.0), "k") for role in pair
        ]

        async def both() -> None:
            for model in roles:
                assert (await model.run("s", "p", Pick, emit=emit)).urn == "u"

        asyncio.run(both())
        asyncio.run(both())
        ports = [r.client_port for r in standin.requests]
    assert len(ports) == 4
    assert ports[0] == ports[1], "the second role reused the first one's connection"
    assert ports[2] == ports[3] and ports[2] != ports[0], "a fresh loop gets a fresh pool"
    assert all(r.body.get("stream", False) is streamed for r in standin.requests)
    assert thinking == (["pick u"] * 4 if streamed else [])
