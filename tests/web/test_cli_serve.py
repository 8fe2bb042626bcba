"""`oncall serve` as a user runs it: a real process on a free loopback port."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

ONCALL = [sys.executable, "-c", "from oncall.cli import main; main()"]


def test_oncall_serve_answers_then_stops_cleanly(home: Path) -> None:
    command = [*ONCALL, "serve", "--port", "0", "--home", str(home)]
    proc = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        match = re.search(r"console: (http://127\.0\.0\.1:\d+)/", line)
        assert match, f"no URL announced: {line!r}"
        url = match.group(1)
        assert httpx.get(f"{url}/healthz", timeout=20).json()["ok"] is True
        assert httpx.get(f"{url}/api/runs", timeout=20).json() == {"runs": []}
        page = httpx.get(f"{url}/", timeout=20)
        assert 'value="revenue dashboard wrong"' in page.text
    finally:
        proc.terminate()
        assert proc.wait(timeout=20) == 0 or proc.returncode == -15


def test_oncall_serve_with_token_prints_a_link_that_carries_it(home: Path) -> None:
    command = [*ONCALL, "serve", "--port", "0", "--home", str(home), "--token", "t-1"]
    proc = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        match = re.search(r"console: (http://127\.0\.0\.1:\d+)/\?token=t-1", proc.stderr.readline())
        assert match
        assert httpx.get(f"{match.group(1)}/api/runs", timeout=20).status_code == 401
        ok = httpx.get(f"{match.group(1)}/api/runs", headers={"Authorization": "Bearer t-1"}, timeout=20)
        assert ok.status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_listening_socket_declares_tcp_so_responses_are_not_held_by_nagle() -> None:
    # asyncio turns on TCP_NODELAY only for sockets created with proto=IPPROTO_TCP; without it every
    # small SSE frame or JSON answer waited for the peer's delayed ACK (bench/web.py showed ~45 ms).
    import socket

    from oncall.web.server import bind

    sock = bind("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP
    finally:
        sock.close()


def _serve(home: Path) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [*ONCALL, "serve", "--port", "0", "--home", str(home)], stderr=subprocess.PIPE, text=True
    )
    assert proc.stderr is not None
    match = re.search(r"console: (http://127\.0\.0\.1:\d+)/", proc.stderr.readline())
    assert match
    return proc, match.group(1)


def test_a_run_of_a_killed_server_is_interrupted_after_restart_not_running(seeded_copy: Path) -> None:
    proc, url = _serve(seeded_copy)
    try:
        started = httpx.post(f"{url}/api/runs", json={"incident": "revenue dashboard wrong"}, timeout=60)
        run_id = started.json()["run_id"]
        events = seeded_copy / "runs" / f"{run_id}.events.jsonl"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (events.exists() and events.read_text().strip()):
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)  # mid-run: the server has no chance to close anything
    finally:
        proc.wait(timeout=30)
    kinds = [json.loads(line)["kind"] for line in events.read_text().splitlines() if line.strip()]
    assert kinds and "run_finished" not in kinds, "the run finished before the kill; nothing was tested"
    assert not (seeded_copy / "runs" / f"{run_id}.json").exists()

    proc, url = _serve(seeded_copy)
    try:
        (row,) = [r for r in httpx.get(f"{url}/api/runs", timeout=60).json()["runs"] if r["run_id"] == run_id]
        assert row["status"] == "interrupted" and row["verdict"] == "interrupted"
        result = httpx.get(f"{url}/api/runs/{run_id}", timeout=60)
        assert result.status_code == 200 and result.json()["verdict"] == "interrupted"
        replay = httpx.get(f"{url}/api/runs/{run_id}/events", timeout=60).text
        assert '"kind":"run_finished"' in replay.replace(" ", "") and "interrupted" in replay
    finally:
        proc.terminate()
        proc.wait(timeout=30)
