"""The HTTP layer under the OpenAI SDK: one pooled client per endpoint and event loop, and SSE chunks that
arrived together handed on as one.

A streamed answer is a few hundred `data: {...}` chunks of a few characters each, and every chunk costs
the SDK and pydantic-ai a fraction of a millisecond to turn into events. When one read of the body
carries several events (a close-delimited stream read after a burst, or a server packing events into
one HTTP chunk) nothing is gained by handing them on one by one: `coalesce_sse` merges neighbouring
chunks that only extend the same text or the same tool call's arguments. Chunks that trickle in are
passed on as they come, so thinking still streams live, and anything that is not a plain continuation
(role, finish reason, usage, a new tool call, other fields, thinking tags, CRLF framing) is passed on
untouched. A chunked body with one event per HTTP chunk reaches us chunk by chunk and gains nothing.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator
from typing import Any

import httpx2
from openai import AsyncOpenAI, Timeout

__all__ = ["CoalescingTransport", "coalesce_sse", "shared_client"]

_TEXT_FIELDS = frozenset({"content", "reasoning_content", "reasoning"})
_TAG_MARKS = ("<", ">")
"""pydantic-ai recognises thinking tags (`<think>`) in content only as deltas of their own, as the special
tokens they are; text with a tag-like mark is never merged."""
_EVENT_END = b"\n\n"
_DATA = b"data: "


def _tag_like(text: str) -> bool:
    return any(mark in text for mark in _TAG_MARKS)


def _merge_delta(first: dict[str, Any], then: dict[str, Any]) -> dict[str, Any] | None:
    """`first` extended by `then`, when `then` only continues one text field or one call's arguments."""
    if len(then) == 1 and first.keys() == then.keys():
        (name,) = then
        texts = (first[name], then[name])
        if name in _TEXT_FIELDS and all(isinstance(t, str) and not _tag_like(t) for t in texts):
            return {name: texts[0] + texts[1]}
    calls, more = first.get("tool_calls"), then.get("tool_calls")
    if set(first) != {"tool_calls"} or set(then) != {"tool_calls"}:
        return None
    if not (isinstance(calls, list) and isinstance(more, list) and len(calls) == len(more) == 1):
        return None
    call, extra = calls[0], more[0]
    fn, extra_fn = call.get("function"), extra.get("function")
    if (
        set(extra) != {"index", "function"}
        or call.get("index") != extra["index"]
        or not isinstance(fn, dict)
        or not isinstance(extra_fn, dict)
        or set(extra_fn) != {"arguments"}
        or not isinstance(fn.get("arguments"), str)
        or not isinstance(extra_fn["arguments"], str)
    ):
        return None
    arguments = fn["arguments"] + extra_fn["arguments"]
    return {"tool_calls": [{**call, "function": {**fn, "arguments": arguments}}]}


def _merge_chunks(first: dict[str, Any], then: dict[str, Any]) -> dict[str, Any] | None:
    """One chunk saying what `first` then `then` say, or None when they must stay apart."""
    if first.keys() != then.keys() or any(first[k] != then[k] for k in first if k != "choices"):
        return None
    ours, theirs = first.get("choices"), then.get("choices")
    if not (isinstance(ours, list) and isinstance(theirs, list) and len(ours) == len(theirs) == 1):
        return None
    choice, more = ours[0], theirs[0]
    if not (isinstance(choice, dict) and isinstance(more, dict)) or choice.keys() != more.keys():
        return None
    if choice.get("finish_reason") is not None or more.get("finish_reason") is not None:
        return None
    if any(choice[k] != more[k] for k in choice if k != "delta"):
        return None
    if not (isinstance(choice.get("delta"), dict) and isinstance(more.get("delta"), dict)):
        return None
    delta = _merge_delta(choice["delta"], more["delta"])
    if delta is None:
        return None
    return {**first, "choices": [{**choice, "delta": delta}]}


def _chunk(event: bytes) -> dict[str, Any] | None:
    """The JSON object of a single-line `data:` event, else None (sent on as it is)."""
    if not event.startswith(_DATA) or b"\n" in event:
        return None
    try:
        value = json.loads(event[len(_DATA) :])
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _encode(chunk: dict[str, Any]) -> bytes:
    return _DATA + json.dumps(chunk, separators=(",", ":")).encode() + _EVENT_END


def coalesce_sse(events: bytes) -> bytes:
    """Complete SSE events (each ending in a blank line) with mergeable neighbours merged."""
    out: list[bytes] = []
    pending: dict[str, Any] | None = None
    for event in events.split(_EVENT_END)[:-1]:
        chunk = _chunk(event)
        if chunk is not None and pending is not None:
            merged = _merge_chunks(pending, chunk)
            if merged is not None:
                pending = merged
                continue
        if pending is not None:
            out.append(_encode(pending))
            pending = None
        if chunk is None:
            out.append(event + _EVENT_END)
        else:
            pending = chunk
    if pending is not None:
        out.append(_encode(pending))
    return b"".join(out)


class _CoalescedStream(httpx2.AsyncByteStream):
    """A response body yielding what has arrived, with the complete events in it coalesced."""

    def __init__(self, inner: httpx2.AsyncByteStream) -> None:
        self._inner = inner

    async def __aiter__(self) -> AsyncIterator[bytes]:
        held = b""
        passthrough = False
        async for data in self._inner:
            if passthrough or b"\r" in data:  # CRLF framing: leave it to the SDK's decoder
                passthrough = True
                yield held + data
                held = b""
                continue
            complete, end, held = (held + data).rpartition(_EVENT_END)
            if end:
                yield coalesce_sse(complete + end)
        if held:
            yield held

    async def aclose(self) -> None:
        await self._inner.aclose()


class CoalescingTransport(httpx2.AsyncBaseTransport):
    """Wraps a transport; plain (unencoded) event streams come back coalesced."""

    def __init__(self, inner: httpx2.AsyncBaseTransport) -> None:
        self._inner = inner

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        response = await self._inner.handle_async_request(request)
        kind = response.headers.get("content-type", "")
        encoded = response.headers.get("content-encoding", "identity").lower() != "identity"
        if not kind.startswith("text/event-stream") or encoded:
            return response
        assert isinstance(response.stream, httpx2.AsyncByteStream)
        return httpx2.Response(
            response.status_code,
            headers=response.headers,
            stream=_CoalescedStream(response.stream),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self._inner.aclose()


_CLIENTS: dict[asyncio.AbstractEventLoop, dict[tuple[str, str, float], AsyncOpenAI]] = {}
_CLIENTS_LOCK = threading.Lock()
_CONNECT_S = 5.0
_LIMITS = httpx2.Limits(max_connections=100, max_keepalive_connections=20)


def shared_client(base_url: str, api_key: str, timeout_s: float, verify: Any) -> AsyncOpenAI:
    """The SDK client for this endpoint on the running event loop, created on first use.

    Every role and every run on one loop share it, so requests reuse pooled (and, for https, already
    negotiated) connections. A pool belongs to the loop it was opened on and runs may each use a fresh
    loop (`asyncio.run`), so clients are kept per loop and dropped once their loop is closed.
    """
    loop = asyncio.get_running_loop()
    key = (base_url, api_key, timeout_s)
    with _CLIENTS_LOCK:
        for closed in [other for other in _CLIENTS if other.is_closed()]:
            del _CLIENTS[closed]
        clients = _CLIENTS.setdefault(loop, {})
        if key not in clients:
            clients[key] = _new_client(base_url, api_key, timeout_s, verify)
        return clients[key]


def _new_client(base_url: str, api_key: str, timeout_s: float, verify: Any) -> AsyncOpenAI:
    # The SDK's own retries are off: a slow retry ladder would blow the role's timeout budget.
    timeout = Timeout(timeout_s, connect=min(_CONNECT_S, timeout_s))
    transport = CoalescingTransport(httpx2.AsyncHTTPTransport(verify=verify, limits=_LIMITS))
    http = httpx2.AsyncClient(transport=transport, verify=verify, timeout=timeout, follow_redirects=True)
    return AsyncOpenAI(base_url=base_url, api_key=api_key, max_retries=0, timeout=timeout, http_client=http)
