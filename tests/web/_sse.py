"""A small SSE reader for tests: parses `text/event-stream` from an httpx stream into frames."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class Frame:
    """One SSE frame: an event (id + data) or a comment (the heartbeat)."""

    id: str | None = None
    data: str | None = None
    comments: list[str] = field(default_factory=list)

    @property
    def event(self) -> dict[str, Any]:
        assert self.data is not None, "a comment-only frame has no event"
        return json.loads(self.data)


def frames(response: httpx.Response) -> Iterator[Frame]:
    """Yield frames as they arrive (a frame ends at a blank line)."""
    current = Frame()
    data: list[str] = []
    for line in response.iter_lines():
        if line == "":
            if data:
                current.data = "\n".join(data)
            if data or current.comments or current.id is not None:
                yield current
            current, data = Frame(), []
        elif line.startswith(":"):
            current.comments.append(line[1:].strip())
        elif line.startswith("id:"):
            current.id = line[3:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))


def read_events(
    client: httpx.Client, run_id: str, *, last_event_id: int | None = None, limit: int | None = None
) -> list[dict[str, Any]]:
    """Events of a run from its SSE stream, until it closes (or `limit` events were read)."""
    headers = {"Accept": "text/event-stream"}
    if last_event_id is not None:
        headers["Last-Event-ID"] = str(last_event_id)
    events: list[dict[str, Any]] = []
    with client.stream("GET", f"/api/runs/{run_id}/events", headers=headers) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        for frame in frames(response):
            if frame.data is None:
                continue
            event = frame.event
            assert frame.id == str(event["seq"]), "the SSE id must be the event's seq"
            events.append(event)
            if limit is not None and len(events) >= limit:
                break
    return events
