"""The runs API and its SSE stream, through a real uvicorn server on loopback, running the real loop."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from oncall.catalog.urns import table_of
from oncall.web.server import ServerThread
from tests.plugins.web import Gate
from tests.web._sse import frames, read_events

KIT_ORIGINS = {"olist_order_items", "olist_products", "olist_customers"}


def start_run(client: httpx.Client, incident: str = "revenue dashboard wrong", **body: Any) -> str:
    response = client.post("/api/runs", json={"incident": incident, **body})
    assert response.status_code == 202, response.text
    run_id = response.json()["run_id"]
    assert response.headers["location"] == f"/api/runs/{run_id}"
    return run_id


def assert_complete(events: list[dict[str, Any]], run_id: str) -> None:
    """One run's whole log: its own id on every event, seq 1..n without gaps, started first, finished last."""
    assert {e["run_id"] for e in events} == {run_id}
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert events[0]["kind"] == "run_started"
    assert events[-1]["kind"] == "run_finished"
    assert [e["kind"] for e in events].count("run_finished") == 1


def test_a_run_streams_its_events_and_is_kept_on_disk(console: ServerThread) -> None:
    with httpx.Client(base_url=console.url, timeout=60) as client:
        run_id = start_run(client)
        events = read_events(client, run_id)
        assert_complete(events, run_id)
        assert {"coordinator", "detective", "reality_checker", "fixer"} <= {e["agent"] for e in events}
        queries = [q for e in events if e["kind"] == "tool_call" for q in e["data"].get("queries", [])]
        assert queries and all(q["text"] for q in queries), "tool calls carry the queries they executed"

        result = client.get(f"/api/runs/{run_id}").json()
        assert result["run_id"] == run_id
        assert result["verdict"] == "root_cause_found"
        assert {table_of(rc["dataset_urn"]) for rc in result["root_causes"] if rc["origin"]} == KIT_ORIGINS

    runs_dir = console.app.state.config.runs_dir
    stored = json.loads((runs_dir / f"{run_id}.json").read_text())
    assert stored == result
    lines = (runs_dir / f"{run_id}.events.jsonl").read_text().splitlines()
    assert [json.loads(line) for line in lines] == events


def test_history_survives_a_restart_and_replays_from_disk(
    seeded_copy: Path, serve_console: Callable[..., ServerThread]
) -> None:
    first = serve_console(seeded_copy)
    with httpx.Client(base_url=first.url, timeout=60) as client:
        older = start_run(client, "revenue dashboard wrong", dry_run=True)
        live_events = read_events(client, older)
        newer = start_run(client, "customers table lost rows", dry_run=True)
        read_events(client, newer)
    first.stop()

    second = serve_console(seeded_copy)
    with httpx.Client(base_url=second.url, timeout=60) as client:
        runs = client.get("/api/runs").json()["runs"]
        assert [r["run_id"] for r in runs] == [newer, older], "newest first"
        assert runs[1]["incident"] == "revenue dashboard wrong"
        assert runs[1]["status"] == "finished" and runs[1]["dry_run"] is True
        assert read_events(client, older) == live_events
        assert client.get(f"/api/runs/{older}").json()["verdict"] == "root_cause_found"


def test_resume_with_last_event_id(console: ServerThread) -> None:
    with httpx.Client(base_url=console.url, timeout=60) as client:
        run_id = start_run(client, dry_run=True)
        everything = read_events(client, run_id)
        assert len(everything) > 6
        head = read_events(client, run_id, limit=5)
        tail = read_events(client, run_id, last_event_id=head[-1]["seq"])
        assert head + tail == everything

        done = client.get(f"/api/runs/{run_id}/events", headers={"Last-Event-ID": str(everything[-1]["seq"])})
        assert done.status_code == 204, "nothing left: 204 tells EventSource to stop reconnecting"


def test_live_stream_sends_heartbeats_then_every_event(
    seeded_copy: Path, serve_console: Callable[..., ServerThread], gate: Gate
) -> None:
    console = serve_console(seeded_copy, runner=gate)
    with httpx.Client(base_url=console.url, timeout=60) as client:
        run_id = start_run(client, dry_run=True)
        pings = 0
        events: list[dict[str, Any]] = []
        with client.stream("GET", f"/api/runs/{run_id}/events") as response:
            for frame in frames(response):
                if frame.data is None:
                    pings += "ping" in " ".join(frame.comments)
                    if pings == 2:
                        gate.open()  # the stream stayed open on heartbeats alone; now let the run go
                    continue
                events.append(frame.event)
        assert pings >= 2
        assert_complete(events, run_id)


def test_concurrent_runs_never_mix(
    seeded_copy: Path, serve_console: Callable[..., ServerThread], gate: Gate
) -> None:
    incidents = ["revenue dashboard wrong", "customers table lost rows", "payment totals look off"]
    console = serve_console(seeded_copy, runner=gate)
    streams: dict[str, list[dict[str, Any]]] = {}
    with httpx.Client(base_url=console.url, timeout=60) as client:
        run_ids = [start_run(client, text, dry_run=True) for text in incidents]
        running = client.get("/api/runs").json()["runs"]
        assert {r["run_id"] for r in running if r["status"] == "running"} == set(run_ids)

        def follow(run_id: str) -> None:
            with httpx.Client(base_url=console.url, timeout=60) as own:
                streams[run_id] = read_events(own, run_id)

        threads = [threading.Thread(target=follow, args=(run_id,)) for run_id in run_ids]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 30
        while gate.waiting < len(run_ids) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert gate.waiting == len(run_ids), "every run reached the gate"
        gate.open()  # all three go at once
        for thread in threads:
            thread.join(60)

        for run_id, text in zip(run_ids, incidents, strict=True):
            assert_complete(streams[run_id], run_id)
            assert streams[run_id][0]["data"]["incident"] == text
            assert client.get(f"/api/runs/{run_id}").json()["incident"] == text
        symptoms = {client.get(f"/api/runs/{r}").json()["symptom"]["urn"] for r in run_ids}
        assert len(symptoms) == len(run_ids), "each run answered its own incident"


def test_a_failing_run_still_ends_its_stream_and_is_recorded(home: Path, serve_console: Callable) -> None:
    # An empty home has no catalog: the real loop refuses before it starts, with a message to act on.
    server = serve_console(home)
    with httpx.Client(base_url=server.url, timeout=60) as client:
        run_id = start_run(client)
        events = read_events(client, run_id)
        assert events[-1]["kind"] == "run_finished"
        errors = [e for e in events if e["kind"] == "error"]
        assert errors and "oncall setup" in errors[0]["data"]["message"]
        result = client.get(f"/api/runs/{run_id}").json()
        assert result["verdict"] == "failed"
        assert client.get("/api/runs").json()["runs"][0]["status"] == "failed"


@pytest.mark.parametrize("incident", ["<script>window.__xss=1</script> revenue dashboard wrong"])
def test_postmortem_html_is_rendered_server_side_and_escaped(console: ServerThread, incident: str) -> None:
    with httpx.Client(base_url=console.url, timeout=60) as client:
        run_id = start_run(client, incident, dry_run=True)
        read_events(client, run_id)
        response = client.get(f"/api/runs/{run_id}/postmortem.html")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        html = response.text
        assert "<h1>" in html or "<h2>" in html, "Markdown was rendered"
        assert "<script" not in html.lower()
        assert "&lt;script&gt;" in html, "the tag arrives as visible text"
        assert "javascript:" not in html.lower()
