"""Runs started from the console: each runs in its own thread and event loop, with its own `RunEvents`,
recorded on disk.

Several runs may go at once; each has its own event log, so their events never mix. A live run stays in
memory until its result is saved; after that it is read back from the history folder like any other run.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from oncall.config import Config
from oncall.errors import NotFoundError, OncallError
from oncall.events import Event, RunEvents, new_run_id
from oncall.quality.models import BaselineMode
from oncall.report.models import RunResult
from oncall.web.history import RunStore, RunSummary

__all__ = ["BusyError", "LiveRun", "RunManager", "Runner"]

log = logging.getLogger(__name__)


class Runner(Protocol):
    """The incident loop's signature (`oncall.agents.run_incident`); injectable for tests and benches.

    A coroutine, not any awaitable: each run gets its own event loop through `asyncio.run`.
    """

    def __call__(
        self,
        incident: str,
        *,
        config: Config,
        events: RunEvents | None = None,
        dry_run: bool = False,
        llm_preset: str | None = None,
        history: bool = False,
        run_id: str | None = None,
        symptom_urn: str | None = None,
        baseline: BaselineMode = "auto",
    ) -> Coroutine[Any, Any, RunResult]: ...


class BusyError(OncallError):
    """Too many runs at once, or a reset asked for while runs are going."""

    http_status = 409


@dataclass
class LiveRun:
    """A run in progress."""

    run_id: str
    incident: str
    events: RunEvents
    dry_run: bool
    started_at: float
    task: asyncio.Task[RunResult] | None = None
    result: RunResult | None = None

    def summary(self) -> RunSummary:
        return RunSummary(
            run_id=self.run_id,
            incident=self.incident,
            status="running",
            dry_run=self.dry_run,
            started_at=self.started_at,
        )


class RunManager:
    """Starts runs, tracks the live ones and answers history questions across live and stored runs."""

    def __init__(self, config: Config, runner: Runner, store: RunStore, *, max_live: int = 8) -> None:
        self.config = config
        self.runner = runner
        self.store = store
        self.max_live = max_live
        self.live: dict[str, LiveRun] = {}
        # Each run gets a thread with its own event loop: whatever the agents do between awaits
        # never delays the server's loop (accepting runs, streaming events to other clients).
        self._pool = ThreadPoolExecutor(max_workers=max_live, thread_name_prefix="oncall-run")

    def start(
        self,
        incident: str,
        *,
        dry_run: bool = False,
        llm: str | None = None,
        history: bool = False,
        symptom_urn: str | None = None,
        baseline: BaselineMode | None = None,
    ) -> LiveRun:
        """Start a run and return at once: the agents go on in their own thread and event loop.

        `symptom_urn` skips the Detective's search (the MCP door's `urn`); `baseline` is the loop's
        baseline mode (twin, history, auto); both are passed to the runner only when given.
        """
        if len(self.live) >= self.max_live:
            raise BusyError(f"{len(self.live)} runs are already going; wait for one to finish")
        run_id = new_run_id()
        while run_id in self.live or self.store.exists(run_id):
            run_id = new_run_id()
        run = LiveRun(run_id, incident, RunEvents(run_id), dry_run, time.time())
        self.live[run_id] = run
        options: dict[str, Any] = {"history": history}
        if symptom_urn is not None:
            options["symptom_urn"] = symptom_urn
        if baseline is not None:
            options["baseline"] = baseline
        run.task = asyncio.create_task(self._drive(run, llm=llm, options=options), name=f"run-{run_id}")
        return run

    async def _drive(self, run: LiveRun, *, llm: str | None, options: dict[str, Any]) -> RunResult:
        try:
            writer = self.store.record(run.events)
        except OSError as exc:  # a read-only or full history folder: the run cannot be kept
            self.live.pop(run.run_id, None)
            message = f"cannot record the run in {self.store.runs_dir}: {exc.strerror or exc}"
            run.events.emit("system", "error", {"message": message, "type": type(exc).__name__})
            run.events.emit("system", "run_finished", {"verdict": "failed", "summary": message})
            run.result = RunResult(
                run_id=run.run_id, incident=run.incident, summary=message, started_at=run.started_at
            )
            return run.result
        try:
            result = await self._call_runner(run, llm=llm, options=options)
            if not run.events.closed:  # the loop should say it finished; make sure clients are released
                run.events.emit(
                    "system", "run_finished", {"verdict": result.verdict, "summary": result.summary}
                )
            await asyncio.to_thread(self.store.save, result)
            run.result = result
            return result
        finally:
            writer.close()
            self.live.pop(run.run_id, None)

    async def _call_runner(self, run: LiveRun, *, llm: str | None, options: dict[str, Any]) -> RunResult:
        def in_own_loop() -> RunResult:
            return asyncio.run(
                self.runner(
                    run.incident,
                    config=self.config,
                    events=run.events,
                    dry_run=run.dry_run,
                    llm_preset=llm,
                    run_id=run.run_id,
                    **options,
                )
            )

        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, in_own_loop)
        except asyncio.CancelledError:
            if not run.events.closed:
                run.events.emit("system", "error", {"message": "the server stopped during the run"})
                run.events.emit("system", "run_finished", {"verdict": "failed", "summary": "stopped"})
            raise
        except Exception as exc:  # a broken run must still end its stream and leave a record
            log.exception("run %s failed", run.run_id)
            message = str(exc) if isinstance(exc, OncallError) else f"{type(exc).__name__}: {exc}"
            if not run.events.closed:  # the loop reports its own failures before it re-raises
                run.events.emit("system", "error", {"message": message, "type": type(exc).__name__})
            return RunResult(
                run_id=run.run_id,
                incident=run.incident,
                verdict="failed",
                summary=f"The run failed: {message}",
                dry_run=run.dry_run,
                started_at=run.started_at,
            )

    async def list(self) -> list[RunSummary]:
        """Live and stored runs, newest first (call on the loop that owns the live runs)."""
        live = {run_id: run.summary() for run_id, run in self.live.items()}
        rows = {r.run_id: r for r in await asyncio.to_thread(self.store.list)}
        rows.update(live)
        return sorted(rows.values(), key=lambda r: (r.started_at, r.run_id), reverse=True)

    async def result(self, run_id: str, *, wait_s: float = 10.0) -> RunResult | LiveRun:
        """The result; a live run whose events have closed is awaited briefly so the caller gets it."""
        self.store.check_id(run_id)
        run = self.live.get(run_id)
        if run is not None and run.task is not None:
            if not run.events.closed:
                return run
            with contextlib.suppress(asyncio.TimeoutError):
                return await asyncio.wait_for(asyncio.shield(run.task), wait_s)
            return run
        return await asyncio.to_thread(self.store.load, run_id)

    def has_more(self, run_id: str, after_seq: int) -> bool:
        """False when a finished run has nothing after `after_seq` (the SSE endpoint then answers 204)."""
        self.store.check_id(run_id)
        run = self.live.get(run_id)
        if run is not None:  # a finished run may still be saving its result: it counts as finished
            return not run.events.closed or run.events.events[-1].seq > after_seq
        if not self.store.exists(run_id):
            raise NotFoundError(f"no run {run_id!r}; list runs with GET /api/runs")
        return bool(self.store.events(run_id, after_seq))

    async def events(self, run_id: str, after_seq: int = 0) -> AsyncIterator[Event]:
        """Replay then follow a live run; replay a stored one from its JSONL file."""
        run = self.live.get(run_id)
        if run is not None:
            async for event in run.events.subscribe(after_seq):
                yield event
            return
        for event in await asyncio.to_thread(self.store.events, run_id, after_seq):
            yield event

    async def shutdown(self, grace_s: float = 5.0) -> None:
        """Let live runs finish for a moment (they take seconds), then stop waiting for them.

        A run's thread cannot be interrupted; one still going after the grace period ends its stream
        with an error and finishes in the background (its events file keeps what happened).
        """
        tasks = [run.task for run in self.live.values() if run.task is not None]
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=grace_s)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        self._pool.shutdown(wait=False, cancel_futures=True)
