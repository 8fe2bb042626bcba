"""How to talk: one role's model behind a single typed, streaming, failure-contained call.

Built on pydantic-ai's `OpenAIChatModel`, which already speaks the Chat Completions wire format with
streaming, tool calling, output validation with retries, and the reasoning fields thinking models use:
`reasoning_content` / `reasoning` deltas become thinking parts and are sent back, in the same field, on
the tool-call turns that follow (Kimi and DeepSeek-style APIs reject those turns without them).

This module adds what the agents need around it: thinking and tool activity relayed as run events,
usage and cost per call, one wall-clock timeout per call, and one error type. Whatever goes wrong
(timeout, refused connection, 429, 5xx, arguments or answers that stay invalid after the retries, an
answer that is only reasoning) surfaces as `LLMError`, so an agent can fall back to its deterministic
procedure and record why.
"""

from __future__ import annotations

import asyncio
import functools
import json
import re
import ssl
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from openai import AsyncOpenAI
from pydantic_ai import Agent, ModelRetry, Tool, capture_run_messages
from pydantic_ai.exceptions import ModelAPIError, ModelHTTPError, UnexpectedModelBehavior, UsageLimitExceeded
from pydantic_ai.messages import (
    AgentStreamEvent,
    FunctionToolCallEvent,
    FunctionToolResultEvent,
    ModelMessage,
    ModelRequest,
    ModelResponse,
    PartDeltaEvent,
    PartStartEvent,
    RetryPromptPart,
    ThinkingPart,
    ThinkingPartDelta,
    ToolCallPart,
    ToolReturnPart,
)
from pydantic_ai.models import Model
from pydantic_ai.models.function import FunctionModel
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.profiles import ModelProfile, merge_profile
from pydantic_ai.profiles.openai import OpenAIJsonSchemaTransformer, OpenAIModelProfile
from pydantic_ai.providers.nebius import NebiusProvider
from pydantic_ai.providers.ollama import OllamaProvider
from pydantic_ai.providers.openai import OpenAIProvider
from pydantic_ai.providers.vllm import VLLMProvider
from pydantic_ai.settings import ModelSettings
from pydantic_ai.usage import RunUsage, UsageLimits

from oncall.config import Config
from oncall.errors import LLMError
from oncall.llm.local import LOCAL_URL, LocalServer, ensure_server
from oncall.llm.roles import Endpoint, Role, api_key_for, resolve_endpoints
from oncall.llm.transport import shared_client
from oncall.untrusted import one_line

if TYPE_CHECKING:
    from oncall.report.models import LLMUsage

__all__ = [
    "CallRecord",
    "Emit",
    "ModelSet",
    "Retry",
    "RoleModel",
    "Usage",
    "critical_path_s",
    "load_models",
    "sequential_calls",
]

T = TypeVar("T")
Emit = Callable[[str, dict[str, Any]], None]
"""`emit(kind, data)`: the agent binds its own name, e.g. `lambda k, d: events.emit("detective", k, d)`."""

_THINKING_FLUSH_CHARS = 80
"""Thinking arrives a few characters per delta; relay it in readable pieces, not one event per token."""
_PREVIEW_CHARS = 600


class Retry(ModelRetry):
    """Raise from an output validator or a tool to send the model back with what was wrong.

    Example: a validator that finds the answer names an URN the catalog does not have raises
    `Retry("urn:li:... does not exist; pick one of the URNs the search returned")`. When the model's
    retries are used up the call fails with `LLMError`.
    """


@dataclass
class CallRecord:
    """One `RoleModel.run`: when it ran, how many round trips it took, what it cost, how it ended."""

    role: str
    model: str
    started: float
    """`time.perf_counter()` at the start; compare records of one process only."""
    finished: float
    requests: int
    """Sequential model round trips inside this call (tool turns and retries each add one)."""
    tokens_in: int
    tokens_out: int
    cost_usd: float
    error: str | None = None
    failure: str | None = None
    """What ended a failed call: timeout, rejected (verification kept refusing), invalid (output did not
    validate), http, unreachable, limit, other."""
    rejections: list[str] = field(default_factory=list)
    """Why verification sent answers back (URNs masked), in order; a call can recover after one."""

    @property
    def elapsed_s(self) -> float:
        return self.finished - self.started


@dataclass
class Usage:
    """Usage totals: of one role (`RoleModel.usage`) or of all roles (`ModelSet.usage`)."""

    runs: int = 0
    """`RoleModel.run` calls."""
    calls: int = 0
    """Model round trips (HTTP requests), summed over runs."""
    failures: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    records: list[CallRecord] = field(default_factory=list)

    def add(self, record: CallRecord) -> None:
        self.runs += 1
        self.calls += record.requests
        self.failures += record.error is not None
        self.tokens_in += record.tokens_in
        self.tokens_out += record.tokens_out
        self.cost_usd += record.cost_usd
        self.records.append(record)

    def as_dict(self) -> dict[str, Any]:
        """Totals for event payloads (no records)."""
        return {
            "runs": self.runs,
            "calls": self.calls,
            "failures": self.failures,
            "tokens_in": self.tokens_in,
            "tokens_out": self.tokens_out,
            "cost_usd": round(self.cost_usd, 6),
        }


def _profile(endpoint: Endpoint) -> ModelProfile | None:
    """pydantic-ai's quirks for the kind of server; a plain OpenAI-compatible server gets lenient ones."""
    name = endpoint.model
    if endpoint.profile == "openai":
        return OpenAIProvider.model_profile(name)
    known = {
        "nebius": NebiusProvider.model_profile,
        "ollama": OllamaProvider.model_profile,
        "vllm": VLLMProvider.model_profile,
    }
    # Unknown servers get no `strict` tool schemas (many reject them).
    base = known[endpoint.profile](name) if endpoint.profile in known else _GENERIC
    # Compatible servers all take `max_tokens`; `max_completion_tokens` is OpenAI's newer spelling.
    return merge_profile(base, OpenAIModelProfile(openai_chat_supports_max_completion_tokens=False))


_GENERIC = OpenAIModelProfile(
    json_schema_transformer=OpenAIJsonSchemaTransformer, openai_supports_strict_tool_definition=False
)


class RoleModel:
    """The model of one role. Agents receive it ready-made and never see URLs or keys."""

    def __init__(
        self,
        endpoint: Endpoint,
        api_key: str,
        on_record: Callable[[CallRecord], None] | None = None,
        *,
        model: Model | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.usage = Usage()
        self._api_key = api_key
        self._on_record = on_record
        self._scripted = model
        self._chat: tuple[AsyncOpenAI, Model] | None = None

    @classmethod
    def scripted(cls, role: Role, model: Model, **endpoint: Any) -> RoleModel:
        """A role answered by a pydantic-ai model object, e.g. `FunctionModel` or `TestModel` in tests.

        `endpoint` sets `Endpoint` fields (timeout_s, retries, prices...); nothing goes over the network.
        """
        fields_ = {"base_url": "scripted://", "model": model.model_name, **endpoint}
        return cls(Endpoint(role, **fields_), "", model=model)

    @property
    def name(self) -> Role:
        """The role, e.g. "detective"."""
        return self.endpoint.role

    @property
    def model(self) -> str:
        """The model id sent to the endpoint, e.g. "moonshotai/Kimi-K2-Thinking"."""
        return self.endpoint.model

    @property
    def tuned(self) -> bool:
        """True for a model tuned for its role (a LoRA adapter): it is asked in the format it learned."""
        return self.endpoint.tuned

    def __repr__(self) -> str:
        return f"RoleModel({self.name}={self.model} @ {self.endpoint.base_url})"

    async def run(
        self,
        system: str,
        prompt: str,
        output_type: type[T],
        *,
        tools: Sequence[Callable[..., Any]] = (),
        emit: Emit | None = None,
        validators: Sequence[Callable[[T], T | None]] = (),
    ) -> T:
        """Ask the model and return its answer as an `output_type` instance.

        Args:
            system: instructions for the role.
            prompt: the task, including any untrusted text (which the caller should fence).
            output_type: a pydantic model (or `str`) the answer must validate into.
            tools: plain functions (sync or async) the model may call; their signature is the schema
                and their docstring the description the model reads. A tool may raise `Retry`.
            emit: receives `("thinking", ...)`, `("tool_call", ...)`, `("tool_result", ...)` and a final
                `("message", {"usage": ...})`; see the package docstring for the payloads.
            validators: checks on the typed answer (e.g. "the URN exists"); raise `Retry` to make the
                model try again, return a replacement, or return None to accept it.

        Raises:
            LLMError: any failure; the message is a short reason fit for `degraded`.
        """
        relay = _Relay(self.name, self.model, emit)
        usage = RunUsage()
        started = time.perf_counter()
        error: str | None = None
        failure: str | None = None
        rejections: list[str] = []
        # Built outside the try: a bad tool or output type is our bug, not a model failure to fall back on.
        model = self._scripted or self._chat_model()
        agent = self._agent(model, system, output_type, tools, validators, rejections)
        streams = self._streams(emit)
        with capture_run_messages() as messages:
            try:
                run = agent.run(
                    prompt,
                    event_stream_handler=relay.handle if streams else None,
                    usage=usage,
                    usage_limits=UsageLimits(request_limit=self.endpoint.max_requests),
                )
                result = await asyncio.wait_for(run, timeout=self.endpoint.timeout_s)
                return result.output
            except asyncio.CancelledError:
                error = f"{self.name} model {self.model} call cancelled"
                raise
            except Exception as exc:
                failure, error = self._reason(exc, rejections)
                if isinstance(exc, ModelAPIError | asyncio.TimeoutError | TimeoutError):
                    usage.requests += 1  # the round trip that failed still took its time
                raise LLMError(error) from exc
            finally:
                if emit is not None and not streams:
                    relay.replay(messages)
                relay.flush()
                record = self._record(started, usage, error, failure, rejections)
                usage_event = {"role": self.name, "model": self.model, "usage": _record_dict(record)}
                relay.emit("message", usage_event)

    def _streams(self, emit: Emit | None) -> bool:
        """Stream only when someone watches (a plain response parses faster), or when a scripted
        `FunctionModel` can only answer one way.

        Never from llama-cpp-python's server: it sends no token usage in a stream (it ignores
        `stream_options`, measured), so a streamed call would count 0 tokens. Its calls' tool calls and
        results are relayed from the messages when the call ends (`_Relay.replay`).
        """
        scripted = self._scripted
        if isinstance(scripted, FunctionModel) and None in (scripted.function, scripted.stream_function):
            return scripted.function is None
        return emit is not None and self.endpoint.profile != "llamacpp"

    def _chat_model(self) -> Model:
        """The pydantic-ai model over the loop's shared client (kept while the client is the same: building
        one looks the model up in the price and context-window tables)."""
        secure = self.endpoint.base_url.startswith("https:")
        client = shared_client(
            self.endpoint.base_url,
            self._api_key,
            self.endpoint.timeout_s,
            verify=_tls_context() if secure else False,
        )
        if self._chat is None or self._chat[0] is not client:
            provider = OpenAIProvider(openai_client=client)
            chat = OpenAIChatModel(self.model, provider=provider, profile=_profile(self.endpoint))
            self._chat = (client, chat)
        return self._chat[1]

    def _agent(
        self,
        model: Model,
        system: str,
        output_type: type[T],
        tools: Sequence[Callable[..., Any]],
        validators: Sequence[Callable[[T], T | None]],
        rejections: list[str],
    ) -> Agent[None, T]:
        settings: ModelSettings = {}
        if self.endpoint.max_tokens:
            settings["max_tokens"] = self.endpoint.max_tokens
        if self.endpoint.profile == "llamacpp":
            settings.update(_LLAMACPP_SETTINGS)
            if output_type is not str:
                # llama-cpp-python's server honours only a tool_choice naming one function (it then
                # constrains the arguments by the schema's grammar): name pydantic-ai's output tool, so
                # the answer arrives as a forced, schema-valid tool call. (Sent as the body's own field:
                # pydantic-ai words a lone output tool as 'required', which that server ignores.)
                settings["extra_body"] = {
                    "tool_choice": {"type": "function", "function": {"name": _OUTPUT_TOOL}}
                }
        agent: Agent[None, T] = Agent(
            model,
            output_type=output_type,
            instructions=system,
            tools=[Tool(fn, takes_ctx=False) for fn in tools],
            retries=self.endpoint.retries,
            model_settings=settings,
        )
        for check in validators:
            agent.output_validator(_accepting(check, rejections))
        return agent

    def _record(
        self,
        started: float,
        usage: RunUsage,
        error: str | None,
        failure: str | None = None,
        rejections: Sequence[str] = (),
    ) -> CallRecord:
        tokens_in, tokens_out = usage.input_tokens, usage.output_tokens
        record = CallRecord(
            role=self.name,
            model=self.model,
            started=started,
            finished=time.perf_counter(),
            requests=usage.requests,
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            cost_usd=self.endpoint.cost(tokens_in, tokens_out),
            error=error,
            failure=failure,
            rejections=list(rejections),
        )
        self.usage.add(record)
        if self._on_record:
            self._on_record(record)
        return record

    def _reason(self, exc: Exception, rejections: Sequence[str] = ()) -> tuple[str, str]:
        """What kind of failure (see `CallRecord.failure`) and a one-line reason naming the role, the
        model and what went wrong."""
        who = f"{self.name} model {self.model}"
        if isinstance(exc, asyncio.TimeoutError | TimeoutError):
            return "timeout", f"{who} timed out after {self.endpoint.timeout_s:g}s"
        if isinstance(exc, ModelHTTPError):
            return "http", f"{who} answered HTTP {exc.status_code}: {_short(_http_message(exc))}"
        if isinstance(exc, ModelAPIError):
            return "unreachable", f"{who} unreachable at {self.endpoint.base_url}: {_short(str(exc))}"
        if isinstance(exc, UsageLimitExceeded):
            return (
                "limit",
                f"{who} needed more than {self.endpoint.max_requests} requests: {_short(str(exc))}",
            )
        if isinstance(exc, UnexpectedModelBehavior):
            cause = _URN.sub("<urn>", str(exc.__cause__)) if exc.__cause__ is not None else None
            if rejections and cause == rejections[-1]:  # the last answer was one verification refused
                return "rejected", f"{who} answer rejected by verification: {_short(str(exc.__cause__))}"
            return "invalid", f"{who} gave no usable answer: {_short(_behavior_message(exc))}"
        return "other", f"{who} call failed: {type(exc).__name__}: {_short(str(exc))}"


def _short(text: str) -> str:
    return one_line(text, 200)


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One TLS context for every client: building one costs ~40 ms, and every role needs a client."""
    return ssl.create_default_context()


_OUTPUT_TOOL = "final_result"
"""The tool pydantic-ai asks a model to answer through (its default output tool name)."""
_LLAMACPP_SETTINGS: ModelSettings = {"temperature": 0.0, "seed": 0}
"""The same question gets the same answer: evals and tests of a local model are repeatable."""
_URN = re.compile(r"urn:li:\S+")


def _accepting(check: Callable[[T], T | None], rejections: list[str]) -> Callable[[T], T]:
    """A caller's validator that may return None ("fine as is") in pydantic-ai's return-the-output form;
    each rejection's reason is noted (URNs masked, so reasons count together across runs)."""

    def validate(output: T) -> T:
        try:
            replaced = check(output)
        except ModelRetry as exc:
            rejections.append(_URN.sub("<urn>", str(exc.message)))
            raise
        return output if replaced is None else replaced

    return validate


def _http_message(exc: ModelHTTPError) -> str:
    body = exc.body
    if isinstance(body, Mapping):
        error = body.get("error", body)
        if isinstance(error, Mapping) and error.get("message"):
            return str(error["message"])
        if isinstance(body.get("message"), str):
            return str(body["message"])
    return str(body) if body else "no details"


def _behavior_message(exc: UnexpectedModelBehavior) -> str:
    # Drop pydantic-ai's advice to the developer ("Consider raising the retry limit, see the docs ...").
    message = exc.message.split(". Consider")[0]
    if exc.__cause__ is not None and str(exc.__cause__):
        message = f"{message} ({exc.__cause__})"
    return message


def _record_dict(record: CallRecord) -> dict[str, Any]:
    return {
        "requests": record.requests,
        "tokens_in": record.tokens_in,
        "tokens_out": record.tokens_out,
        "cost_usd": round(record.cost_usd, 6),
        "elapsed_ms": round(record.elapsed_s * 1000, 1),
        "error": record.error,
    }


def _preview(value: Any) -> str:
    if isinstance(value, str):
        text = value
    else:
        try:
            text = json.dumps(value, default=str)
        except (TypeError, ValueError):
            text = repr(value)
    return text if len(text) <= _PREVIEW_CHARS else text[: _PREVIEW_CHARS - 1] + "…"


class _Relay:
    """Turns pydantic-ai's stream events into run events for one call."""

    def __init__(self, role: str, model: str, emit: Emit | None) -> None:
        self.role, self.model, self._emit = role, model, emit
        self._thinking = ""

    def emit(self, kind: str, data: dict[str, Any]) -> None:
        if self._emit is not None:
            self._emit(kind, data)

    async def handle(self, _ctx: Any, events: Any) -> None:
        async for event in events:
            self._on(event)

    def _on(self, event: AgentStreamEvent) -> None:
        if isinstance(event, PartStartEvent) and isinstance(event.part, ThinkingPart):
            self._think(event.part.content)
        elif isinstance(event, PartDeltaEvent) and isinstance(event.delta, ThinkingPartDelta):
            self._think(event.delta.content_delta or "")
        elif isinstance(event, FunctionToolCallEvent):
            self.flush()
            part = event.part
            self.emit(
                "tool_call",
                {
                    "role": self.role,
                    "tool": part.tool_name,
                    "args": _args(part.args),
                    "id": part.tool_call_id,
                },
            )
        elif isinstance(event, FunctionToolResultEvent):
            self._tool_result(event.part)
        else:
            self.flush()

    def replay(self, messages: Sequence[ModelMessage]) -> None:
        """The tool calls and results of a call that did not stream, from its messages, in order (the
        answer's own output tool is not a tool call, as in a stream)."""
        for message in messages:
            for part in message.parts:
                if getattr(part, "tool_name", None) in (None, _OUTPUT_TOOL):
                    continue
                if isinstance(message, ModelResponse) and isinstance(part, ToolCallPart):
                    self._on(FunctionToolCallEvent(part))
                elif isinstance(message, ModelRequest) and isinstance(part, ToolReturnPart | RetryPromptPart):
                    self._tool_result(part)

    def _tool_result(self, part: Any) -> None:
        data: dict[str, Any] = {"role": self.role, "tool": part.tool_name, "id": part.tool_call_id}
        if isinstance(part, RetryPromptPart):
            data |= {"ok": False, "error": _preview(part.model_response())}
        elif getattr(part, "outcome", "success") != "success":
            # e.g. 'retried': the arguments did not validate and the model is asked again.
            data |= {"ok": False, "error": _preview(part.content), "outcome": part.outcome}
        else:
            data |= {"ok": True, "result": _preview(part.content)}
        self.emit("tool_result", data)

    def _think(self, text: str) -> None:
        # Deltas that arrived together come as one (see `transport`): still relay readable pieces.
        self._thinking += text
        while len(self._thinking) >= _THINKING_FLUSH_CHARS:
            piece, self._thinking = (
                self._thinking[:_THINKING_FLUSH_CHARS],
                self._thinking[_THINKING_FLUSH_CHARS:],
            )
            self.emit("thinking", {"role": self.role, "model": self.model, "text": piece})

    def flush(self) -> None:
        """Emit buffered thinking as one event."""
        if self._thinking:
            text, self._thinking = self._thinking, ""
            self.emit("thinking", {"role": self.role, "model": self.model, "text": text})


def _args(args: str | dict[str, Any] | None) -> dict[str, Any] | str:
    """Arguments as a dict when they parse, else the raw text the model sent."""
    if isinstance(args, dict) or args is None:
        return args or {}
    try:
        parsed = json.loads(args)
    except json.JSONDecodeError:
        return args
    return parsed if isinstance(parsed, dict) else args


class ModelSet:
    """The models of all roles for one preset, with usage summed over them."""

    def __init__(
        self,
        preset: str,
        models: Mapping[Role, RoleModel | None],
        local_server: LocalServer | None = None,
        *,
        notes: Sequence[str] = (),
        role_servers: Mapping[Role, LocalServer] | None = None,
    ) -> None:
        self.preset = preset
        self._models = dict(models)
        self.local_server = local_server
        """The local llama.cpp server the roles on `local://` talk to (None when no role does)."""
        self.role_servers = dict(role_servers or {})
        """Local servers of a role's own model or LoRA adapter (e.g. the tuned Detective's)."""
        self.notes = list(notes)
        """What went without a model and why (e.g. a LoRA adapter that does not exist): for `degraded`."""
        self.usage = Usage()
        for model in self._models.values():
            if model is not None:
                model._on_record = self.usage.add

    def for_role(self, role: Role) -> RoleModel | None:
        """The role's model, or None when it has none (the agent runs its deterministic procedure)."""
        return self._models.get(role)

    @property
    def live(self) -> bool:
        """True when at least one role has a model."""
        return any(self._models.values())

    @property
    def models(self) -> dict[str, str]:
        """role -> model id ('' for a role without a model)."""
        return {role: model.model if model else "" for role, model in self._models.items()}

    def summary(self) -> LLMUsage:
        """Usage in the run result's shape (`RunResult.llm`)."""
        # Imported here: the report models pull in the quality layer, which callers of llm may not need.
        from oncall.report.models import LLMUsage

        return LLMUsage(
            preset=self.preset,
            calls=self.usage.calls,
            tokens_in=self.usage.tokens_in,
            tokens_out=self.usage.tokens_out,
            cost_usd=round(self.usage.cost_usd, 6),
            models=self.models,
            roles=role_usage(self.usage.records),
            local_server=self.local_server.as_dict() if self.local_server else None,
        )


def role_usage(records: Sequence[CallRecord]) -> dict[str, Any]:
    """Per role: calls, answers used / sent back by verification / replaced by the procedure (with the
    reasons), latency per call and tokens, as `report.models.RoleUsage`."""
    from oncall.report.models import RoleUsage

    out: dict[str, RoleUsage] = {}
    for record in records:
        usage = out.setdefault(record.role, RoleUsage(model=record.model))
        usage.calls += 1
        usage.used += record.error is None
        usage.replaced += record.error is not None
        usage.rejected += bool(record.rejections)
        for reason in record.rejections:
            usage.rejections[reason] = usage.rejections.get(reason, 0) + 1
        if record.failure:
            usage.failures[record.failure] = usage.failures.get(record.failure, 0) + 1
        usage.latency_ms.append(round(record.elapsed_s * 1000, 1))
        usage.tokens_in += record.tokens_in
        usage.tokens_out += record.tokens_out
    return dict(out)


def load_models(
    config: Config, preset: str | None = None, *, say: Callable[[str], None] | None = None
) -> ModelSet:
    """Build the models of every role from the config (and the `--llm` preset, when given).

    Roles on `local://` (the `local` preset) get the local llama.cpp server, started or reused here;
    `say` hears about a start (it takes seconds).

    Raises:
        ConfigError: unknown preset or role, incomplete override, a missing API key, or (local) a
            missing server package, model file or a busy port.
        LLMError: the local server did not start (its last stderr lines are in the message).
    """
    name = preset or config.llm_preset or "offline"
    endpoints = resolve_endpoints(config, name)
    notes: list[str] = []
    for role, endpoint in endpoints.items():
        missing = _missing_file(endpoint)
        if endpoint is not None and missing:
            # Say so and carry on: the role's deterministic procedure is the default anyway.
            notes.append(f"{role}: {missing}; it used its deterministic procedure")
            endpoints[role] = None
    server = None
    if any(_shared(e) for e in endpoints.values()):
        server = ensure_server(config, say=say)
        endpoints = {role: _on_server(e, server) if _shared(e) else e for role, e in endpoints.items()}
    own: dict[Role, LocalServer] = {}
    for role, endpoint in endpoints.items():
        if endpoint is not None and endpoint.base_url == LOCAL_URL:
            own[role] = ensure_server(
                config, say=say, model_path=endpoint.model_path, lora_path=endpoint.lora_path
            )
            endpoints[role] = _on_server(endpoint, own[role])
    models = {
        role: RoleModel(endpoint, api_key_for(config, endpoint)) if endpoint else None
        for role, endpoint in endpoints.items()
    }
    return ModelSet(name, models, server or next(iter(own.values()), None), notes=notes, role_servers=own)


def _shared(endpoint: Endpoint | None) -> bool:
    """On the preset's local server (not a server of the role's own model or adapter)."""
    return (
        endpoint is not None
        and endpoint.base_url == LOCAL_URL
        and not endpoint.model_path
        and not endpoint.lora_path
    )


def _missing_file(endpoint: Endpoint | None) -> str | None:
    """Why the role's own model file or adapter cannot be served (it does not exist), or None."""
    if endpoint is None:
        return None
    if endpoint.lora_path and not Path(endpoint.lora_path).expanduser().is_file():
        return (
            f"its LoRA adapter {endpoint.lora_path} does not exist (train one with `oncall train "
            "detective`, or unset lora_path / llm_detective_lora)"
        )
    if endpoint.model_path and not Path(endpoint.model_path).expanduser().is_file():
        return f"its model file {endpoint.model_path} does not exist"
    return None


def _on_server(endpoint: Endpoint | None, server: LocalServer) -> Endpoint | None:
    """A `local://` endpoint pointed at the running server; model `local` = the one it serves."""
    if endpoint is None or endpoint.base_url != LOCAL_URL:
        return endpoint
    model = server.model if endpoint.model == "local" else endpoint.model
    return replace(endpoint, base_url=server.base_url, model=model)


def sequential_calls(records: Sequence[CallRecord]) -> int:
    """Model round trips on the critical path: the heaviest chain of calls that ran one after another.

    Calls that overlap in time (e.g. Detective and Reality-Checker under `asyncio.gather`) count once
    along a path, so with a fixed latency per round trip this times the latency bounds the wall time.
    """
    return int(_heaviest_chain(records, lambda r: r.requests))


def critical_path_s(records: Sequence[CallRecord]) -> float:
    """Seconds on the critical path: the longest chain of calls that ran one after another (calls that
    overlap in time share it)."""
    return _heaviest_chain(records, lambda r: r.elapsed_s)


def _heaviest_chain(records: Sequence[CallRecord], weight: Callable[[CallRecord], float]) -> float:
    """The largest total `weight` over a chain of calls each starting after the previous one finished."""
    ordered = sorted(records, key=lambda r: r.finished)
    best: list[float] = []
    for i, record in enumerate(ordered):
        before = [best[j] for j in range(i) if ordered[j].finished <= record.started]
        best.append(weight(record) + max(before, default=0))
    return max(best, default=0)
