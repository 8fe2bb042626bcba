"""Run history on disk: `<runs_dir>/<run_id>.json` (the RunResult) and `<run_id>.events.jsonl` (its events).

The same two files the CLI writes, so `oncall serve` lists and replays runs made from the terminal and
the other way round. The events file is appended while a run goes (one `Event` JSON per line, flushed),
so a crash still leaves the events up to the failure; the result file is written once, atomically, at
the end. This module imports no web framework so the CLI can use it cheaply.

While a run records, its process holds an advisory lock on the events file (the kernel drops it when
the process dies, however it dies). A run with events, no result and no lock holder was killed: it is
listed as `interrupted`, and `finish_interrupted` (the console calls it when it starts) closes its
event log and saves an `interrupted` result, so nothing stays "running" forever.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import threading
import time
from pathlib import Path
from typing import IO, Any

from pydantic import BaseModel, Field, ValidationError

from oncall.errors import NotFoundError, UserError
from oncall.events import Event, RunEvents
from oncall.report.models import RunResult

__all__ = ["RunStore", "RunSummary"]

_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$")


class RunSummary(BaseModel):
    """One row of the run history."""

    run_id: str
    incident: str
    status: str
    """'running', 'finished', 'failed' (the run ended with an error) or 'interrupted' (its process
    stopped: killed, crashed, the machine went down)."""
    verdict: str | None = None
    summary: str = ""
    dry_run: bool = False
    started_at: float = 0.0
    origins: list[str] = Field(default_factory=list)
    """Dataset URNs of the origins found."""
    duration_ms: float | None = None


def summarise(result: RunResult) -> RunSummary:
    """The history row of a finished run."""
    return RunSummary(
        run_id=result.run_id,
        incident=result.incident,
        status=result.verdict if result.verdict in ("failed", "interrupted") else "finished",
        verdict=result.verdict,
        summary=result.summary,
        dry_run=result.dry_run,
        started_at=result.started_at,
        origins=[rc.dataset_urn for rc in result.origins],
        duration_ms=result.timings_ms.get("total"),
    )


class _EventWriter:
    """Appends one run's events to its JSONL file from whatever thread emits them."""

    def __init__(self, path: Path) -> None:
        self._lock = threading.Lock()
        self._file: IO[str] | None = path.open("a", encoding="utf-8")
        try:  # held while the run records: how another process tells a live run from a dead one
            fcntl.flock(self._file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._file.close()
            raise

    def __call__(self, event: Event) -> None:
        line = event.model_dump_json() + "\n"
        with self._lock:
            if self._file is None:
                return
            self._file.write(line)
            self._file.flush()
            if event.kind == "run_finished":
                self._close_locked()

    def close(self) -> None:
        with self._lock:
            self._close_locked()

    def _close_locked(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class RunStore:
    """Reads and writes the run history folder."""

    def __init__(self, runs_dir: Path) -> None:
        self.runs_dir = runs_dir

    def check_id(self, run_id: str) -> str:
        """Reject ids that could escape the folder; they are user input on the API."""
        if not _RUN_ID.match(run_id):
            raise UserError(f"run id {run_id!r} is malformed: letters, digits, '.', '_' and '-' only")
        return run_id

    def result_path(self, run_id: str) -> Path:
        return self.runs_dir / f"{self.check_id(run_id)}.json"

    def events_path(self, run_id: str) -> Path:
        return self.runs_dir / f"{self.check_id(run_id)}.events.jsonl"

    def record(self, events: RunEvents) -> _EventWriter:
        """Append every future event of `events` to its JSONL file; close the returned writer at the end."""
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        writer = _EventWriter(self.events_path(events.run_id))
        events.listen(writer)
        return writer

    def save(self, result: RunResult) -> Path:
        """Write the run result atomically (temp file + rename), so readers never see half a file."""
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        path = self.result_path(result.run_id)
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(result.model_dump(mode="json"), indent=2, ensure_ascii=False), "utf-8")
        os.replace(tmp, path)
        return path

    def load(self, run_id: str) -> RunResult:
        """The stored result of a finished run."""
        path = self.result_path(run_id)
        if not path.exists():
            if self.events_path(run_id).exists():
                raise NotFoundError(
                    f"run {run_id!r} stopped before it had a result; replay its events with "
                    f"GET /api/runs/{run_id}/events"
                )
            raise NotFoundError(f"no run {run_id!r} in {self.runs_dir}; list runs with GET /api/runs")
        return RunResult.model_validate_json(path.read_text("utf-8"))

    def events(self, run_id: str, after_seq: int = 0) -> list[Event]:
        """Stored events after `after_seq`, in seq order (lines may be appended out of order by threads)."""
        path = self.events_path(run_id)
        if not path.exists():
            if self.result_path(run_id).exists():
                return []
            raise NotFoundError(f"no run {run_id!r} in {self.runs_dir}; list runs with GET /api/runs")
        found: dict[int, Event] = {}
        # a byte that is not UTF-8 spoils its own line only (that line then fails to parse)
        for line in path.read_text("utf-8", errors="replace").splitlines():
            event = _parse_event(line)
            if event is not None and event.seq > after_seq:
                found.setdefault(event.seq, event)
        return [found[seq] for seq in sorted(found)]

    def exists(self, run_id: str) -> bool:
        return self.result_path(run_id).exists() or self.events_path(run_id).exists()

    def recording(self, run_id: str) -> bool:
        """True while some process still records this run (holds the lock on its events file)."""
        try:
            with self.events_path(run_id).open("rb") as fh:
                try:
                    fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    return True
                return False
        except OSError:
            return False  # unreadable or gone: nobody records it here

    def _unfinished(self) -> list[str]:
        """Runs with an events file, no result, no `run_finished` and nobody recording them."""
        if not self.runs_dir.is_dir():
            return []
        out = []
        for path in self.runs_dir.glob("*.events.jsonl"):
            run_id = path.name.removesuffix(".events.jsonl")
            if _RUN_ID.match(run_id) and not self.result_path(run_id).exists() and not self.recording(run_id):
                out.append(run_id)
        return sorted(out)

    def finish_interrupted(self) -> list[str]:
        """Close the event log of every run whose process died, and save its `interrupted` result.

        Returns the run ids. A run some other process still records is left alone.
        """
        done = []
        for run_id in self._unfinished():
            events = self.events(run_id)
            started = next((e for e in events if e.kind == "run_started"), None)
            if started is None or any(e.kind == "run_finished" for e in events):
                continue  # nothing to list, or it finished and only its result is still being saved
            last = max((e.seq for e in events), default=0)
            message = "the process running it stopped before it finished (killed or crashed)"
            closing = [
                Event(
                    run_id=run_id,
                    seq=last + 1,
                    ts=time.time(),
                    agent="system",
                    kind="error",
                    data={"message": message},
                ),
                Event(
                    run_id=run_id,
                    seq=last + 2,
                    ts=time.time(),
                    agent="system",
                    kind="run_finished",
                    data={"verdict": "interrupted", "summary": message},
                ),
            ]
            with self.events_path(run_id).open("a", encoding="utf-8") as fh:
                fh.write("".join(e.model_dump_json() + "\n" for e in closing))
            self.save(
                RunResult(
                    run_id=run_id,
                    incident=str(started.data.get("incident", "")),
                    verdict="interrupted",
                    summary=f"Interrupted: {message}.",
                    dry_run=bool(started.data.get("dry_run", False)),
                    started_at=started.ts,
                )
            )
            done.append(run_id)
        return done

    def list(self) -> list[RunSummary]:
        """Stored runs, newest first; unreadable files are skipped rather than breaking the list.

        A run that crashed before its result was saved (the CLI interrupted, say) still has its events
        file; it is listed as failed so its events can be replayed.
        """
        if not self.runs_dir.is_dir():
            return []
        rows: dict[str, RunSummary] = {}
        for path in self.runs_dir.glob("*.json"):
            try:
                row = summarise(RunResult.model_validate_json(path.read_text("utf-8")))
            except (OSError, ValidationError, ValueError):
                continue
            rows[row.run_id] = row
        for path in self.runs_dir.glob("*.events.jsonl"):
            run_id = path.name.removesuffix(".events.jsonl")
            if run_id not in rows and _RUN_ID.match(run_id):
                partial = _summary_from_events(run_id, self.events(run_id), self.recording(run_id))
                if partial is not None:  # an events file without run_started has nothing to list
                    rows[run_id] = partial
        return sorted(rows.values(), key=lambda r: (r.started_at, r.run_id), reverse=True)


def _summary_from_events(run_id: str, events: list[Event], recording: bool) -> RunSummary | None:
    started = next((e for e in events if e.kind == "run_started"), None)
    if started is None:
        return None
    finished = next((e for e in events if e.kind == "run_finished"), None)
    if finished is None and recording:  # another process (a CLI run) is still on it
        status = verdict = "running"
    else:
        status = verdict = "failed" if finished else "interrupted"
    return RunSummary(
        run_id=run_id,
        incident=str(started.data.get("incident", "")),
        status=status,
        verdict=None if status == "running" else verdict,
        summary=str(finished.data.get("summary", "")) if finished else "the run stopped before it finished",
        dry_run=bool(started.data.get("dry_run", False)),
        started_at=started.ts,
    )


def _parse_event(line: str) -> Event | None:
    line = line.strip()
    if not line:
        return None
    try:
        data: Any = json.loads(line)
        return Event.model_validate(data)
    except (ValueError, ValidationError):
        return None  # a torn last line after a crash
