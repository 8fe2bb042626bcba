"""Nothing a run wrote is orphaned: a real `oncall run` SIGKILLed mid-Fixer, a write failing halfway, an
undo failing, a lost ledger. After `oncall reset`, DataHub (the real Lite file) holds none of our writes.

The kill points are observed, not scheduled: the test watches the Lite file through its own read-only
connection and kills the run once it sees the N-th of the Fixer's writes, so every point lies between
two writes of the real process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from oncall.agents import reset, run_incident
from oncall.agents.writeback import ledger_path
from oncall.catalog.lite import LiteCatalog
from oncall.config import load_config
from oncall.errors import CatalogUnavailableError

ONCALL = [sys.executable, "-c", "from oncall.cli import main; main()"]
TEXT = "revenue dashboard wrong"


def _ours(home: Path) -> dict[str, int]:
    """What our runs left in the Lite file: active incidents, quarantined tags, postmortem links."""
    uri = f"{(home / 'datahub.db').resolve().as_uri()}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=5)) as conn:

        def count(aspect: str, needle: str) -> int:
            sql = (
                "SELECT count(*) FROM metadata_aspect_v2 WHERE version = 0 AND aspect_name = ? "
                "AND instr(metadata, ?) > 0"
            )
            return int(conn.execute(sql, (aspect, needle)).fetchone()[0])

        return {
            "incidents": count("incidentInfo", '"state": "ACTIVE"'),
            "tags": count("globalTags", "urn:li:tag:quarantined"),
            "links": count("institutionalMemory", "/runs/postmortems/"),
        }


def _kill_after(home: Path, writes: int) -> dict[str, int]:
    """Start `oncall run` and SIGKILL it as soon as `writes` of its writes are visible in the file."""
    proc = subprocess.Popen(
        [*ONCALL, "run", TEXT, "--home", str(home)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    seen: dict[str, int] = {}
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            with contextlib.suppress(sqlite3.OperationalError):  # a checkpoint may hold it a moment
                seen = _ours(home)
                if sum(seen.values()) >= writes:
                    proc.send_signal(signal.SIGKILL)
                    break
            time.sleep(0.001)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, f"the run ended on its own before {writes} writes: {seen}"
    return seen


@pytest.mark.parametrize("writes", [1, 3, 5, 9])
def test_reset_undoes_what_a_killed_run_wrote(seeded_copy: Path, writes: int) -> None:
    seen = _kill_after(seeded_copy, writes)
    assert sum(seen.values()) >= writes  # the run really had written when it died
    done = reset(load_config(seeded_copy, environ={}))
    assert all(w.verified for w in done), done
    assert _ours(seeded_copy) == {"incidents": 0, "tags": 0, "links": 0}


def test_reset_finds_our_writes_by_their_marker_when_the_ledger_is_lost(seeded_copy: Path) -> None:
    _kill_after(seeded_copy, 6)
    ledger_path(load_config(seeded_copy, environ={})).unlink(missing_ok=True)
    reset(load_config(seeded_copy, environ={}))
    assert _ours(seeded_copy) == {"incidents": 0, "tags": 0, "links": 0}


def test_a_person_s_own_quarantined_tag_and_incident_survive_the_marker_search(seeded_copy: Path) -> None:
    import datahub.metadata.schema_classes as m
    from datahub.emitter.mcp import MetadataChangeProposalWrapper

    config = load_config(seeded_copy, environ={})
    urn = "urn:li:dataset:(urn:li:dataPlatform:sqlite,olist_dirty.main.olist_geolocation,PROD)"
    person = "urn:li:corpuser:ana"
    with LiteCatalog(config.lite_path) as catalog:
        catalog.add_tags(urn, ["urn:li:tag:quarantined"])
        stamp = m.AuditStampClass(time=1, actor=person)
        info = m.IncidentInfoClass(
            type="OPERATIONAL",
            entities=[urn],
            status=m.IncidentStatusClass(state="ACTIVE", lastUpdated=stamp),
            created=stamp,
            title="Ana's own",
        )
        catalog.emit([MetadataChangeProposalWrapper(entityUrn="urn:li:incident:ana", aspect=info)])
    reset(config)
    with LiteCatalog(config.lite_path, read_only=True) as catalog:
        assert "urn:li:tag:quarantined" in catalog.get(urn).tags
        assert [i.urn for i in catalog.open_incidents()] == ["urn:li:incident:ana"]


class _FailingCatalog(LiteCatalog):
    """The real Lite catalog, but the named calls fail as a locked file or a GMS 5xx would."""

    fail: Sequence[str] = ()

    def _maybe_fail(self, name: str) -> None:
        if name in self.fail:
            raise CatalogUnavailableError(f"{name}: DataHub Lite file is locked by another writer")

    def add_links(self, urn: str, links: Sequence[tuple[str, str]]) -> None:
        self._maybe_fail("add_links")
        super().add_links(urn, links)

    def remove_tags(self, urn: str, tag_urns: Sequence[str]) -> None:
        self._maybe_fail("remove_tags")
        super().remove_tags(urn, tag_urns)


def _failing(path: Path, *names: str) -> Any:
    catalog = _FailingCatalog(path)
    catalog.fail = names
    return catalog


def test_an_exception_on_a_later_write_leaves_the_earlier_ones_undoable(seeded_copy: Path) -> None:
    config = load_config(seeded_copy, environ={})
    catalog = _failing(config.lite_path, "add_links")
    try:
        with pytest.raises(CatalogUnavailableError):
            asyncio.run(run_incident(TEXT, config=config, catalog=catalog))
    finally:
        catalog.close()
    left = _ours(seeded_copy)
    assert left["incidents"] == 3 and left["tags"] == 3 and left["links"] == 0
    reset(config)
    assert _ours(seeded_copy) == {"incidents": 0, "tags": 0, "links": 0}


def test_a_failed_undo_keeps_its_ledger_row_for_the_next_reset(seeded_copy: Path) -> None:
    config = load_config(seeded_copy, environ={})
    asyncio.run(run_incident(TEXT, config=config))
    catalog = _failing(config.lite_path, "remove_tags")
    try:
        done = reset(config, catalog=catalog)
    finally:
        catalog.close()
    failed = [w for w in done if w.action == "failed"]
    assert len(failed) == 3 and all(w.aspect == "globalTags" for w in failed)
    rows = [json.loads(line) for line in ledger_path(config).read_text().splitlines()]
    assert sorted(r["urn"] for r in rows) == sorted(w.urn for w in failed)
    assert _ours(seeded_copy) == {"incidents": 0, "tags": 3, "links": 0}
    reset(config)
    assert _ours(seeded_copy) == {"incidents": 0, "tags": 0, "links": 0}
    assert ledger_path(config).read_text() == ""
