"""Run events: one schema for the CLI, the web console and the tests (DESIGN.md section 5).

Agents only ever call `RunEvents.emit`; screens subscribe. `seq` is monotonic per run and doubles as the
SSE id, so a client can resume with Last-Event-ID. The bus is thread-safe because catalog calls run in
worker threads while the agents run on the event loop.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
from collections.abc import AsyncIterator, Callable
from typing import Any, Literal, get_args

from pydantic import BaseModel, Field

__all__ = ["AGENTS", "KINDS", "Agent", "Event", "EventKind", "RunEvents", "new_run_id"]

Agent = Literal["coordinator", "detective", "reality_checker", "fixer", "system"]
EventKind = Literal[
    "run_started",
    "agent_started",
    "thinking",
    "tool_call",
    "tool_result",
    "finding",
    "write",
    "message",
    "error",
    "agent_finished",
    "run_finished",
]
AGENTS: tuple[str, ...] = ("coordinator", "detective", "reality_checker", "fixer", "system")
KINDS: tuple[str, ...] = get_args(EventKind)


def new_run_id() -> str:
    """A sortable, unguessable run id: UTC time then random hex, e.g. `20261126T083411Z-3f9a1c`."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + secrets.token_hex(3)


class Event(BaseModel):
    """One thing that happened in a run."""

    run_id: str
    seq: int
    ts: float = Field(description="Unix time in seconds")
    agent: Agent
    kind: EventKind
    data: dict[str, Any] = Field(default_factory=dict)


class RunEvents:
    """The ordered event log of one run, with live subscribers.

    Sync listeners (the CLI printer) are called inline; async subscribers (SSE clients) get their own
    queue so a slow client never blocks the agents.
    """

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self._events: list[Event] = []
        self._lock = threading.Lock()
        self._listeners: list[Callable[[Event], None]] = []
        self._queues: list[tuple[asyncio.AbstractEventLoop, asyncio.Queue[Event | None]]] = []
        self._closed = False

    @property
    def events(self) -> list[Event]:
        """A snapshot of everything emitted so far."""
        with self._lock:
            return list(self._events)

    @property
    def closed(self) -> bool:
        """True once `run_finished` has been emitted."""
        return self._closed

    def listen(self, callback: Callable[[Event], None]) -> None:
        """Call `callback` for every future event, in the emitting thread."""
        with self._lock:
            self._listeners.append(callback)

    def emit(self, agent: Agent, kind: EventKind, data: dict[str, Any] | None = None) -> Event:
        """Append an event and fan it out. Safe from any thread."""
        with self._lock:
            event = Event(
                run_id=self.run_id,
                seq=len(self._events) + 1,
                ts=time.time(),
                agent=agent,
                kind=kind,
                data=data or {},
            )
            self._events.append(event)
            if kind == "run_finished":
                self._closed = True
            listeners = list(self._listeners)
            queues = list(self._queues)
        for callback in listeners:
            callback(event)
        for loop, queue in queues:
            _put(loop, queue, event)
            if kind == "run_finished":
                _put(loop, queue, None)
        return event

    async def subscribe(self, after_seq: int = 0) -> AsyncIterator[Event]:
        """Replay events after `after_seq`, then follow live ones until the run finishes."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Event | None] = asyncio.Queue()
        with self._lock:
            backlog = [e for e in self._events if e.seq > after_seq]
            closed = self._closed
            if not closed:
                self._queues.append((loop, queue))
        try:
            for event in backlog:
                yield event
            if closed:
                return
            last = backlog[-1].seq if backlog else after_seq
            while True:
                item = await queue.get()
                if item is None:
                    return
                if item.seq > last:  # skip what the backlog already gave
                    last = item.seq
                    yield item
        finally:
            with self._lock:
                if (loop, queue) in self._queues:
                    self._queues.remove((loop, queue))


def _put(loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[Event | None], item: Event | None) -> None:
    if loop.is_closed():
        return
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is loop:
        queue.put_nowait(item)
    else:
        loop.call_soon_threadsafe(queue.put_nowait, item)
