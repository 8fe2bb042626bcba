"""The lifecycle under faults: duplicate and out-of-order run events, an assertion deleted while its
incident is open, a locked catalog, and a watcher SIGKILLed at random points and restarted."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import datahub.metadata.schema_classes as m

from oncall.agents.lifecycle import Watcher, list_incidents
from oncall.agents.lifecycle.notify import EVENT_TYPE
from oncall.agents.writeback import incident_urn
from oncall.catalog.lite import LiteCatalog
from tests.agents._lifecycle import (
    ITEMS,
    KIT_ORIGINS,
    PRODUCTS,
    config_of,
    emit,
    incident_info,
    incident_urns_in_catalog,
    now_ms,
    repair,
    run_event,
    watch_once,
)
from tests.report.slack_standin import SlackStandin

SRC = Path(__file__).resolve().parents[2] / "src"


def test_duplicate_and_out_of_order_events_change_nothing(seeded_copy: Path) -> None:
    config = config_of(seeded_copy)
    watch_once(config)
    tracked = next(i for i in list_incidents(config) if i.origin == PRODUCTS)
    t = now_ms()
    for a in tracked.assertions:  # the fix: a newer passing run of each assertion
        emit(config, a.urn, run_event(a.urn, a.dataset_urn, "SUCCESS", t, "fixed-run"))
    for a in tracked.assertions:  # then an older failing run arrives late, and the fix again (duplicate)
        emit(config, a.urn, run_event(a.urn, a.dataset_urn, "FAILURE", t - 60_000, "late-run"))
        emit(config, a.urn, run_event(a.urn, a.dataset_urn, "SUCCESS", t, "fixed-run"))
    report = watch_once(config)
    assert report.resolved == [tracked.urn] and not report.reopened and not report.opened
    assert report.ignored >= len(tracked.assertions)  # the late and repeated events
    info = incident_info(config, tracked.urn)
    assert info.status.state == "RESOLVED" and "fixed-run" in (info.status.message or "")
    again = watch_once(config)
    assert not (again.opened or again.reopened or again.resolved)


def test_an_assertion_deleted_while_open_stops_counting(seeded_copy: Path) -> None:
    config = config_of(seeded_copy)
    watch_once(config)
    tracked = next(i for i in list_incidents(config) if i.origin == PRODUCTS)
    gone, *rest = tracked.assertions
    emit(config, gone.urn, m.StatusClass(removed=True))
    report = watch_once(config)
    assert not report.resolved  # the others still fail
    after = next(i for i in list_incidents(config) if i.urn == tracked.urn)
    record = after.assertion(gone.urn)
    assert record is not None and record.deleted and "was deleted" in after.timeline[-1].message
    for a in rest:
        emit(config, a.urn, m.StatusClass(removed=True))
    report = watch_once(config)
    assert report.resolved == [tracked.urn]
    info = incident_info(config, tracked.urn)
    assert (info.status.state, info.status.stage) == ("RESOLVED", "NO_ACTION_REQUIRED")
    assert "deleted" in (info.status.message or "")


def test_a_locked_catalog_is_retried_and_loses_nothing(seeded_copy: Path) -> None:
    config = config_of(seeded_copy)
    holder = sqlite3.connect(config.lite_path, timeout=1, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the file
    said: list[str] = []
    stop = asyncio.Event()
    passes = []

    def release() -> None:  # once the watcher has met the lock and said so (or after 60 s)
        deadline = time.time() + 60
        while not said and time.time() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)
        holder.execute("ROLLBACK")
        holder.close()

    def on_pass(report: object) -> None:
        passes.append(report)
        stop.set()

    watcher = Watcher(config, lambda: LiteCatalog(config.lite_path, busy_timeout_ms=200), say=said.append)
    threading.Thread(target=release, daemon=True).start()
    try:
        asyncio.run(watcher.run(interval_s=0.1, on_pass=on_pass, stop=stop))
    finally:
        watcher.close()
    assert any("catalog unavailable" in line and "locked" in line for line in said), said
    assert len(passes) == 1 and len(passes[0].opened) == 3  # type: ignore[attr-defined]
    assert {i.origin for i in list_incidents(config)} == KIT_ORIGINS
    assert len(incident_urns_in_catalog(config)) == 3


def _watch_process(home: Path, slack: SlackStandin, *args: str) -> subprocess.Popen[bytes]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("ONCALL_", "SLACK_", "DATAHUB_"))},
        "PYTHONPATH": str(SRC),
        "DATAHUB_TELEMETRY_ENABLED": "false",
        "SLACK_BOT_TOKEN": slack.token,
        "SLACK_CHANNEL": slack.channel,
        "SLACK_API_URL": slack.url,
    }
    code = "from oncall.cli import main; main()"
    return subprocess.Popen(
        [sys.executable, "-c", code, "watch", "--home", str(home), *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _kill_at_random_points(home: Path, slack: SlackStandin, rng: random.Random, kills: int) -> None:
    for _ in range(kills):
        proc = _watch_process(home, slack, "--interval", "0.1")
        time.sleep(rng.uniform(0.5, 4.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    done = _watch_process(home, slack, "--once")
    _, err = done.communicate(timeout=120)
    assert done.returncode == 0, err.decode()


def test_a_watcher_killed_at_any_point_misses_and_doubles_nothing(seeded_copy: Path) -> None:
    config = config_of(seeded_copy)
    rng = random.Random(12)
    with SlackStandin() as slack:
        _kill_at_random_points(seeded_copy, slack, rng, kills=4)
        urns = sorted(incident_urn(o, 0) for o in KIT_ORIGINS)
        assert incident_urns_in_catalog(config) == urns
        assert sorted(i.urn for i in list_incidents(config)) == urns
        posts = slack.posts()
        assert sorted(p["metadata"]["event_payload"]["incident_urn"] for p in posts) == urns  # once each
        assert all(p["metadata"]["event_type"] == EVENT_TYPE for p in posts)
        repair(config)
        _kill_at_random_points(seeded_copy, slack, rng, kills=3)
        assert all(i.state == "RESOLVED" and i.resolved_by == "watcher" for i in list_incidents(config))
        assert incident_urns_in_catalog(config) == urns
        assert len(slack.posts()) == 3  # still one message per incident, updated in place
        assert all("RESOLVED" in p["text"] and p.get("edited") for p in slack.posts())
        items = next(p for p in slack.posts() if p["metadata"]["event_payload"]["incident_urn"] == urns[0])
        assert items["ts"]
    assert incident_info(config, incident_urn(ITEMS, 0)).status.stage == "FIXED"
