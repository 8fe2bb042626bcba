"""The watcher: read new assertion run events from the catalog since the stored cursor, hand each batch
to the lifecycle handler, deliver the Slack outbox; repeat every `interval_s`, or once.

One watcher per home (an OS lock that a killed process releases). A catalog that is down or locked is
retried with a growing pause (1 s doubling to 60 s), and said so; the cursor only moves in the commit
of a handled batch, so nothing is lost or handled twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from oncall.agents.lifecycle.handler import BatchReport, Handler, RunLoop
from oncall.agents.lifecycle.notify import Notifier, notifier_for
from oncall.agents.lifecycle.store import Store, store_path
from oncall.catalog.base import Catalog
from oncall.catalog.run_events import RunEvent, read_run_events
from oncall.config import Config
from oncall.errors import CatalogUnavailableError, UserError
from oncall.events import RunEvents
from oncall.report.models import RunResult

__all__ = ["BATCH", "Watcher", "feed_source", "watcher_lock"]

BATCH = 5000
"""Run events per handled batch (one store commit each)."""
_MAX_BACKOFF_S = 60.0
_ONCE_RETRIES = 3

Say = Callable[[str], None]


def feed_source(config: Config) -> str:
    """The cursor's key: which catalog the positions belong to."""
    from oncall.catalog.backends import backend_for

    return f"{config.catalog}:{backend_for(config).location(config)}"


@contextlib.contextmanager
def watcher_lock(home: Path) -> Iterator[None]:
    """Hold `<home>/lifecycle.lock` (released by the OS if the process dies, even by SIGKILL)."""
    home.mkdir(parents=True, exist_ok=True)
    path = home / "lifecycle.lock"
    fh: IO[str] = path.open("a+")
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            fh.seek(0)
            pid = fh.read().strip() or "?"
            raise UserError(
                f"another `oncall watch` is running on {home} (pid {pid}); stop it first"
            ) from exc
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        yield
    finally:
        fh.close()


class Watcher:
    """Polls the catalog's run-event feed and applies it.

    Args:
        config: settings.
        open_catalog: opens a writable catalog (called again after an outage).
        notifier: Slack delivery (default: from the settings, or none).
        say: where progress lines go.
        on_run: called with each loop's result and events (the CLI saves them to the run history).
    """

    def __init__(
        self,
        config: Config,
        open_catalog: Callable[[], Catalog],
        *,
        notifier: Notifier | None = None,
        say: Say = lambda _line: None,
        on_run: Callable[[RunResult, RunEvents], None] | None = None,
    ) -> None:
        self.config = config
        self._open_catalog = open_catalog
        self.notifier = notifier if notifier is not None else notifier_for(config)
        self.say = say
        self.on_run = on_run
        self.store = Store(store_path(config.home))
        self.source = feed_source(config)
        self.catalog: Catalog | None = None

    def close(self) -> None:
        if self.catalog is not None:
            self.catalog.close()
            self.catalog = None
        if self.notifier is not None:
            self.notifier.close()
        self.store.close()

    def _catalog(self) -> Catalog:
        if self.catalog is None:
            self.catalog = self._open_catalog()
        return self.catalog

    def _loop(self) -> RunLoop:
        from oncall.agents.coordinator import run_incident
        from oncall.events import new_run_id

        async def run(symptom: str, catalog: Catalog) -> RunResult:
            run_id = new_run_id()
            events = RunEvents(run_id)
            result = await run_incident(
                "",
                symptom_urn=symptom,
                config=self.config,
                catalog=catalog,
                dry_run=True,
                run_id=run_id,
                events=events,
            )
            if self.on_run is not None:
                self.on_run(result, events)
            return result

        return run

    async def handle_events(self, events: list[RunEvent]) -> BatchReport:
        """Handle pushed events (the DataHub Actions door: no feed, no cursor), then deliver Slack."""
        catalog = self._catalog()
        report = await Handler(self.config, catalog, self.store, self._loop()).handle(events)
        if self.notifier is not None:
            report.log += self.notifier.deliver(self.store)
        return report

    async def step(self) -> BatchReport:
        """Handle everything new (batch by batch), then deliver Slack; raises on a catalog outage."""
        catalog = self._catalog()
        handler = Handler(self.config, catalog, self.store, self._loop())
        total = BatchReport()
        while True:
            after = self.store.cursor(self.source)
            events, position = await asyncio.to_thread(read_run_events, catalog, after, limit=BATCH)
            report = await handler.handle(events, source=self.source, position=position)
            _add(total, report)
            if len(events) < BATCH:
                break
        if self.notifier is not None:
            total.log += self.notifier.deliver(self.store)
        return total

    async def run(
        self,
        *,
        once: bool = False,
        interval_s: float = 10.0,
        on_pass: Callable[[BatchReport], None] | None = None,
        stop: asyncio.Event | None = None,
    ) -> BatchReport:
        """Poll until `stop` is set (or once); returns the last pass's report."""
        backoff = 1.0
        failures = 0
        last = BatchReport()
        while True:
            try:
                last = await self.step()
                backoff, failures = 1.0, 0
                if on_pass is not None:
                    on_pass(last)
            except CatalogUnavailableError as exc:
                failures += 1
                if self.catalog is not None:
                    with contextlib.suppress(Exception):
                        self.catalog.close()
                    self.catalog = None
                if once and failures > _ONCE_RETRIES:
                    raise
                self.say(f"catalog unavailable ({exc}); nothing consumed, retrying in {backoff:g} s")
                if await _sleep(backoff, stop):
                    return last
                backoff = min(backoff * 2, _MAX_BACKOFF_S)
                continue
            if once or await _sleep(interval_s, stop):
                return last


async def _sleep(seconds: float, stop: asyncio.Event | None) -> bool:
    """Sleep; True if `stop` was set meanwhile."""
    if stop is None:
        await asyncio.sleep(seconds)
        return False
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    return stop.is_set()


def _add(total: BatchReport, report: BatchReport) -> None:
    total.events += report.events
    total.fresh += report.fresh
    total.ignored += report.ignored
    total.loops += report.loops
    for name in ("opened", "updated", "reopened", "resolved", "hands_off", "log"):
        getattr(total, name).extend(getattr(report, name))
    total.writes += report.writes
