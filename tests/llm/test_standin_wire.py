"""The stand-in is held to the real contract: OpenAI's own SDK must parse what it sends."""

from __future__ import annotations

import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam

from tests.llm.openai_standin import Failure, OpenAIStandin, Reply, ToolCall


def _client(standin: OpenAIStandin) -> openai.OpenAI:
    return openai.OpenAI(base_url=standin.url, api_key="k", max_retries=0, timeout=5)


def test_non_streamed_completion_parses(openai_standin: OpenAIStandin) -> None:
    openai_standin.script([Reply(content="four", reasoning="2+2", prompt_tokens=7, completion_tokens=3)])
    done = _client(openai_standin).chat.completions.create(
        model="m", messages=[{"role": "user", "content": "2+2?"}]
    )
    assert done.choices[0].message.content == "four"
    assert done.choices[0].message.model_extra == {"reasoning_content": "2+2"}
    assert done.usage is not None and (done.usage.prompt_tokens, done.usage.completion_tokens) == (7, 3)


def test_stream_reassembles_text_reasoning_and_fragmented_tool_arguments(
    openai_standin: OpenAIStandin,
) -> None:
    call = ToolCall("search", {"query": "revenue dashboard", "limit": 5})
    openai_standin.script([Reply(content="Let me look.", reasoning="User means Revenue.", tool_calls=[call])])
    stream = _client(openai_standin).chat.completions.create(
        model="m",
        messages=[{"role": "user", "content": "x"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    deltas = [c.choices[0].delta for c in chunks if c.choices]
    reasoning = "".join((d.model_extra or {}).get("reasoning_content", "") for d in deltas)
    content = "".join(d.content or "" for d in deltas)
    fragments: list[str] = []
    for d in deltas:
        for tc in d.tool_calls or []:
            assert tc.function is not None  # the stand-in sends the function part in every tool-call delta
            if tc.function.arguments:
                fragments.append(tc.function.arguments)
    assert reasoning == "User means Revenue."
    assert content == "Let me look."
    assert len(fragments) > 1, "arguments must arrive in pieces"
    assert "".join(fragments) == '{"query": "revenue dashboard", "limit": 5}'
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "tool_calls"


def test_usage_chunk_only_when_asked(openai_standin: OpenAIStandin) -> None:
    openai_standin.script([Reply(content="ok")])
    chunks = list(
        _client(openai_standin).chat.completions.create(
            model="m", messages=[{"role": "user", "content": "x"}], stream=True
        )
    )
    assert all(c.usage is None for c in chunks)


@pytest.mark.parametrize(
    ("status", "error"),
    [(429, openai.RateLimitError), (500, openai.InternalServerError), (401, openai.AuthenticationError)],
)
def test_failures_are_http_errors_with_openai_bodies(
    openai_standin: OpenAIStandin, status: int, error: type[Exception]
) -> None:
    openai_standin.script([Failure(status, "scripted")])
    with pytest.raises(error, match="scripted"):
        _client(openai_standin).chat.completions.create(
            model="m", messages=[{"role": "user", "content": "x"}]
        )


def test_scripts_per_model_and_exhaustion(openai_standin: OpenAIStandin) -> None:
    openai_standin.script([Reply(content="for a")], model="a")
    openai_standin.script([Reply(content="shared")])
    client = _client(openai_standin)
    ask: list[ChatCompletionMessageParam] = [{"role": "user", "content": "x"}]
    assert client.chat.completions.create(model="b", messages=ask).choices[0].message.content == "shared"
    assert client.chat.completions.create(model="a", messages=ask).choices[0].message.content == "for a"
    with pytest.raises(openai.InternalServerError, match="script exhausted"):
        client.chat.completions.create(model="a", messages=ask)
    assert [r.model for r in openai_standin.requests] == ["b", "a", "a"]
    assert openai_standin.pending() == 0
