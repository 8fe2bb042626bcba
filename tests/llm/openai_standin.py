"""A loopback stand-in for an OpenAI-compatible Chat Completions server.

Hosted models cannot run in tests, so this speaks their wire format for real over HTTP on 127.0.0.1:
JSON bodies or SSE streams (`data: {...}` chunks ending in `data: [DONE]`), `reasoning_content` /
`reasoning` deltas, `tool_calls` deltas whose arguments arrive in fragments, `usage` in a final chunk
when the client asks for it (`stream_options.include_usage`), and error bodies with HTTP statuses.

Each test scripts what the "model" says next (`Reply`, `Failure`, `Stall`) and afterwards reads what
the client sent (`requests`), e.g. to check that reasoning was replayed on a tool-call turn. The bench
uses the same server with a fixed latency per call. Nothing here imports `oncall`.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = [
    "ANSWER_TOOL",
    "Failure",
    "OpenAIStandin",
    "Reply",
    "Request",
    "Stall",
    "ToolCall",
    "answer",
    "running_standin",
]

ANSWER_TOOL = "final_result"
"""Name of the tool through which pydantic-ai asks a model for its structured answer."""


@dataclass
class ToolCall:
    """A function call the scripted model makes."""

    name: str
    arguments: dict[str, Any] | str
    """A dict is sent as JSON; a str is sent verbatim (use it for malformed arguments)."""
    id: str | None = None


@dataclass
class Reply:
    """One assistant turn: optional reasoning, then text and/or tool calls."""

    content: str | None = None
    reasoning: str | None = None
    reasoning_field: str = "reasoning_content"
    """`reasoning_content` (DeepSeek, Kimi, older vLLM) or `reasoning` (Ollama, newer vLLM)."""
    tool_calls: list[ToolCall] = field(default_factory=list)
    prompt_tokens: int = 20
    completion_tokens: int = 10
    chunk_chars: int = 7
    """Stream text in pieces of this size so clients must reassemble it."""


@dataclass
class Failure:
    """An HTTP error response with an OpenAI-style error body."""

    status: int
    message: str = "scripted failure"


@dataclass
class Stall:
    """Hold the request this long before answering with `then` (for client timeouts)."""

    seconds: float
    then: Reply | Failure = field(default_factory=lambda: Failure(503, "stalled"))


Response = Reply | Failure | Stall
Responder = Callable[["Request"], Response]


@dataclass
class Request:
    """What the client sent."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    received: float = 0.0
    """`time.perf_counter()` when the request arrived; `finished` when the answer was sent."""
    finished: float = 0.0
    client_port: int = 0
    """The client's TCP port: requests sharing one are on one (kept-alive) connection."""

    @property
    def server_s(self) -> float:
        """Time the "model" took on this request: what the client waited for, not its own work."""
        return max(0.0, self.finished - self.received)

    @property
    def model(self) -> str:
        return str(self.body.get("model", ""))

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", []))

    @property
    def tool_names(self) -> list[str]:
        return [t["function"]["name"] for t in self.body.get("tools", [])]


def answer(payload: dict[str, Any], *, reasoning: str | None = None, **reply: Any) -> Reply:
    """A reply that hands a structured answer to pydantic-ai through its output tool."""
    return Reply(reasoning=reasoning, tool_calls=[ToolCall(ANSWER_TOOL, payload)], **reply)


class OpenAIStandin:
    """The server. Start with `start()` (or use `running_standin`), stop with `close()`.

    Responses are taken first from the queue of the requested model name, then from the shared queue,
    then from `responder`; with nothing left the server answers 500 "script exhausted".
    """

    def __init__(self, latency_s: float = 0.0, *, paced: bool = False, keep_alive: bool = False) -> None:
        self.latency_s = latency_s
        self.keep_alive = keep_alive
        """HTTP/1.1 with persistent connections, as hosted APIs do (streams in chunked encoding);
        otherwise HTTP/1.0, one connection per request."""
        """Fixed time per request, like a hosted model's time to respond."""
        self.paced = paced
        """Streams only: spend a third of the latency before the first chunk and spread the rest over
        the chunks, as a model generating tokens does; otherwise wait, then send everything at once."""
        self.requests: list[Request] = []
        self.served: list[str] = ["standin-local"]
        """Model ids `GET /v1/models` lists (what a reusing client learns the model is called)."""
        self.responder: Responder | None = None
        self._queues: dict[str | None, deque[Response]] = {}
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._ids = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        # A short poll keeps shutdown (one per test) quick.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), name="openai-standin", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """Base URL to configure as an OpenAI-compatible endpoint (ends in /v1)."""
        host, port = self._server.server_address[:2]
        assert isinstance(host, str)  # an AF_INET server's host (typeshed also allows bytes)
        return f"http://{host}:{port}/v1"

    def start(self) -> OpenAIStandin:
        self._thread.start()
        return self

    def close(self) -> None:
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def script(self, responses: Sequence[Response], *, model: str | None = None) -> None:
        """Queue what the model answers next; `model` limits them to requests for that model name."""
        with self._lock:
            self._queues.setdefault(model, deque()).extend(responses)

    def pending(self) -> int:
        """Scripted responses not yet used (a test can assert the script was consumed)."""
        with self._lock:
            return sum(len(q) for q in self._queues.values())

    def requests_for(self, model: str) -> list[Request]:
        return [r for r in self.requests if r.model == model]

    def _next(self, request: Request) -> Response:
        with self._lock:
            self.requests.append(request)
            for key in (request.model, None):
                queue = self._queues.get(key)
                if queue:
                    return queue.popleft()
        if self.responder is not None:
            return self.responder(request)
        return Failure(500, f"standin: script exhausted (request {len(self.requests)} for {request.model!r})")

    def _wait(self, seconds: float) -> bool:
        """Sleep unless the server is closing; False when it is."""
        return not self._closing.wait(seconds)

    def _new_id(self) -> str:
        return f"chatcmpl-standin-{next(self._ids)}"


@contextmanager
def running_standin(
    latency_s: float = 0.0, *, paced: bool = False, keep_alive: bool = False
) -> Iterator[OpenAIStandin]:
    """A started stand-in, closed afterwards (for the bench and fixtures)."""
    standin = OpenAIStandin(latency_s, paced=paced, keep_alive=keep_alive).start()
    try:
        yield standin
    finally:
        standin.close()


# --- wire format -------------------------------------------------------------------------------------


_THINK_TAGS = re.compile(r"(</?think>)")


def _pieces(text: str, size: int) -> list[str]:
    """Split text like a token stream; `<think>` tags stay whole, as the special tokens they are."""
    pieces: list[str] = []
    for segment in _THINK_TAGS.split(text):
        if _THINK_TAGS.fullmatch(segment):
            pieces.append(segment)
        else:
            pieces.extend(segment[i : i + size] for i in range(0, len(segment), max(1, size)))
    return pieces


def _arguments_text(call: ToolCall) -> str:
    return call.arguments if isinstance(call.arguments, str) else json.dumps(call.arguments)


def _usage(reply: Reply) -> dict[str, int]:
    total = reply.prompt_tokens + reply.completion_tokens
    return {
        "prompt_tokens": reply.prompt_tokens,
        "completion_tokens": reply.completion_tokens,
        "total_tokens": total,
    }


def _finish_reason(reply: Reply) -> str:
    return "tool_calls" if reply.tool_calls else "stop"


def _tool_call_ids(reply: Reply, response_id: str) -> list[str]:
    return [call.id or f"call_{response_id[-4:]}_{i}" for i, call in enumerate(reply.tool_calls)]


def completion_body(reply: Reply, model: str, response_id: str) -> dict[str, Any]:
    """A non-streamed `chat.completion` object."""
    message: dict[str, Any] = {"role": "assistant", "content": reply.content}
    if reply.reasoning is not None:
        message[reply.reasoning_field] = reply.reasoning
    if reply.tool_calls:
        ids = _tool_call_ids(reply, response_id)
        message["tool_calls"] = [
            {"id": cid, "type": "function", "function": {"name": c.name, "arguments": _arguments_text(c)}}
            for cid, c in zip(ids, reply.tool_calls, strict=True)
        ]
    return {
        "id": response_id,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": _finish_reason(reply)}],
        "usage": _usage(reply),
    }


def stream_chunks(
    reply: Reply, model: str, response_id: str, include_usage: bool
) -> Iterator[dict[str, Any]]:
    """The `chat.completion.chunk` objects of a streamed reply, in wire order."""

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {
            "id": response_id,
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }

    yield chunk({"role": "assistant", "content": ""})
    for piece in _pieces(reply.reasoning or "", reply.chunk_chars):
        yield chunk({reply.reasoning_field: piece})
    for piece in _pieces(reply.content or "", reply.chunk_chars):
        yield chunk({"content": piece})
    for index, (cid, call) in enumerate(
        zip(_tool_call_ids(reply, response_id), reply.tool_calls, strict=True)
    ):
        head = {
            "index": index,
            "id": cid,
            "type": "function",
            "function": {"name": call.name, "arguments": ""},
        }
        yield chunk({"tool_calls": [head]})
        for piece in _pieces(_arguments_text(call), reply.chunk_chars):
            yield chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
    yield chunk({}, _finish_reason(reply))
    if include_usage:
        yield {
            "id": response_id,
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": model,
            "choices": [],
            "usage": _usage(reply),
        }


def _handler_for(standin: OpenAIStandin) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        # HTTP/1.0: the body ends when the connection closes, which suits an SSE stream. With keep-alive,
        # JSON answers carry a length and streams are chunked, so the connection stays open.
        protocol_version = "HTTP/1.1" if standin.keep_alive else "HTTP/1.0"
        # As real servers do: without it a reused connection stalls on Nagle + delayed ACK (~40 ms).
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output clean

        def do_GET(self) -> None:
            # Servers list what they serve; the local preset probes this to reuse a running server.
            if not self.path.rstrip("/").endswith("/models"):
                self._send_json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
                return
            models = [{"id": model, "object": "model", "owned_by": "standin"} for model in standin.served]
            self._send_json(200, {"object": "list", "data": models})

        def do_POST(self) -> None:
            received = time.perf_counter()
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b"{}"
            try:
                body = json.loads(raw)
            except json.JSONDecodeError:
                self._send_json(400, {"error": {"message": "body is not JSON", "type": "invalid_request"}})
                return
            headers = {k.lower(): v for k, v in self.headers.items()}
            request = Request(self.path, headers, body, received, client_port=self.client_address[1])
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self._send_json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
                return
            response = standin._next(request)
            streamed_paced = standin.paced and bool(body.get("stream")) and isinstance(response, Reply)
            upfront = standin.latency_s / 3 if streamed_paced else standin.latency_s
            if not standin._wait(upfront):
                self.close_connection = True
                return
            self._answer(response, request, standin.latency_s - upfront)
            request.finished = time.perf_counter()

        def _answer(self, response: Response, request: Request, spread_s: float = 0.0) -> None:
            if isinstance(response, Stall):
                if not standin._wait(response.seconds):
                    self.close_connection = True
                    return
                response = response.then
            if isinstance(response, Failure):
                error = {"message": response.message, "type": "standin_error", "code": response.status}
                self._send_json(response.status, {"error": error})
                return
            model, rid = request.model, standin._new_id()
            if request.body.get("stream"):
                include_usage = bool((request.body.get("stream_options") or {}).get("include_usage"))
                chunks = list(stream_chunks(response, model, rid, include_usage))
                self._send_stream(chunks, spread_s / max(1, len(chunks)))
            else:
                self._send_json(200, completion_body(response, model, rid))

        def _send_json(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _send_stream(self, chunks: list[dict[str, Any]], gap_s: float) -> None:
            chunked = self.protocol_version != "HTTP/1.0"
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            if chunked:  # HTTP/1.1: the stream's end is a zero-length chunk; the connection stays open
                self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            try:
                for item in chunks:
                    if gap_s and not standin._wait(gap_s):
                        self.close_connection = True
                        return
                    self._write(f"data: {json.dumps(item)}\n\n".encode(), chunked)
                self._write(b"data: [DONE]\n\n", chunked)
                if chunked:
                    self._write(b"", chunked)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client gave up (e.g. its timeout fired)

        def _write(self, data: bytes, chunked: bool) -> None:
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n" if chunked else data)
            self.wfile.flush()

    return Handler
