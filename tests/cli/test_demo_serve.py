"""`oncall demo --serve`: after the run, a real console on a free loopback port replays that run."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

_ENTRY = "from oncall.cli import main; main(prog_name='oncall')"
_READY = re.compile(r"replay this run: (http://127\.0\.0\.1:\d+)/\?run=([\w.-]+)")


def _wait_for_ready(proc: subprocess.Popen[bytes], err: Path) -> tuple[str, str]:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if match := _READY.search(err.read_text()):
            return match.group(1), match.group(2)
        assert proc.poll() is None, f"demo exited early: {err.read_text()}"
        time.sleep(0.1)
    raise AssertionError(f"demo never announced the console: {err.read_text()}")


def _poll(client: httpx.Client, path: str) -> dict[str, object]:
    """The URL is announced just before uvicorn accepts; retry until it answers."""
    for _ in range(200):
        try:
            response = client.get(path)
        except httpx.TransportError:
            time.sleep(0.05)
            continue
        assert response.status_code == 200, response.text
        return response.json()
    raise AssertionError(f"the console never answered {path}")


@pytest.mark.timeout(120)
def test_demo_serve_prints_the_replay_page_and_stops_on_ctrl_c(seeded_copy: Path, tmp_path: Path) -> None:
    out, err = tmp_path / "stdout", tmp_path / "stderr"
    args = ["demo", "--serve", "--port", "0", "--dry-run", "--home", str(seeded_copy)]
    with out.open("wb") as stdout, err.open("wb") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-c", _ENTRY, *args], stdout=stdout, stderr=stderr, env=dict(os.environ)
        )
    try:
        base, run_id = _wait_for_ready(proc, err)
        with httpx.Client(base_url=base, timeout=10) as client:
            run = _poll(client, f"/api/runs/{run_id}")
            assert run["run_id"] == run_id and run["incident"] == "revenue dashboard wrong"
            assert run["verdict"] == "root_cause_found" and run["dry_run"] is True
            page = client.get(f"/?run={run_id}")
            assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        assert (seeded_copy / "runs" / f"{run_id}.json").is_file()
    finally:
        proc.send_signal(signal.SIGINT)  # what Ctrl+C sends
        proc.wait(timeout=30)
    assert proc.returncode == 0, err.read_text()
    assert err.read_text().rstrip().endswith("console stopped")  # Ctrl+C is a normal stop, not "Aborted!"
    assert "Verdict: root_cause_found" in out.read_text()  # the run printed as usual before the console
