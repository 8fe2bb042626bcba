"""Hostile text stays text in a real terminal and in DataHub: `oncall` runs on a real pty with escape
sequences in the incident report and in catalog names and descriptions; none reaches the terminal, the
incident written to the Lite file or the postmortem."""

from __future__ import annotations

import contextlib
import errno
import os
import pty
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import datahub.metadata.schema_classes as m
from datahub.emitter.mcp import MetadataChangeProposalWrapper

from oncall.catalog.lite import LiteCatalog
from oncall.world.urns import dashboard_urn, dataset_urn

ONCALL = [sys.executable, "-c", "from oncall.cli import main; main()"]
# a hyperlink (OSC 8), a window title (OSC 0), clear-screen (CSI 2J), conceal (SGR 8), 8-bit CSI
HOSTILE = "\x1b]8;;https://evil.example\x07click\x1b]8;;\x07\x1b]0;pwned\x07\x1b[2J\x1b[8m\x9b2J"
PLANTED = ("\x1b]", "\x1b[2J", "\x1b[8m", "\x9b", "evil.example\x07")


def _on_pty(*args: str) -> tuple[int, str]:
    """Run `oncall ARGS` with stdout and stderr on a fresh pty (a terminal, so colours are on)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([*ONCALL, *args], stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            data = os.read(master, 65536)
        except OSError as exc:  # EIO: the other side closed
            if exc.errno != errno.EIO:
                raise
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    code = proc.wait(timeout=60)
    return code, b"".join(chunks).decode("utf-8", "replace")


def _plant(home: Path) -> None:
    revenue = dashboard_urn("olist_dirty", "revenue")
    customers = dataset_urn("olist_dirty", "olist_customers")
    with LiteCatalog(home / "datahub.db") as catalog:
        info = catalog.get_aspect(revenue, m.DashboardInfoClass)
        assert info is not None
        info.title = f"Revenue{HOSTILE}"
        docs = m.EditableDatasetPropertiesClass(description=f"Customers {HOSTILE}\nsecond line")
        catalog.emit(
            [
                MetadataChangeProposalWrapper(entityUrn=revenue, aspect=info),
                MetadataChangeProposalWrapper(entityUrn=customers, aspect=docs),
            ]
        )


def _assert_clean(text: str, where: str) -> None:
    for seq in PLANTED:
        assert seq not in text, f"{seq!r} reached {where}"


def test_run_lanes_verdict_and_writes_carry_no_escape_sequences(seeded_copy: Path) -> None:
    _plant(seeded_copy)
    code, screen = _on_pty("run", f"revenue {HOSTILE} dashboard wrong", "--home", str(seeded_copy))
    assert code == 0, screen[-3000:]
    assert "Verdict: root_cause_found" in screen and "\x1b[" in screen  # colours are still ours to use
    _assert_clean(screen, "the terminal")
    uri = f"{(seeded_copy / 'datahub.db').resolve().as_uri()}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True)) as conn:
        stored = [
            r[0]
            for r in conn.execute(
                "SELECT metadata FROM metadata_aspect_v2 WHERE aspect_name = 'incidentInfo' AND version = 0"
            )
        ]
    assert len(stored) == 3
    for meta in stored:
        assert "\\u001b" not in meta and "\\u009b" not in meta and "\x1b" not in meta
    for postmortem in (seeded_copy / "runs" / "postmortems").glob("*.md"):
        _assert_clean(postmortem.read_text(), "the postmortem")


def test_catalog_show_and_search_print_catalog_text_without_escapes(seeded_copy: Path) -> None:
    _plant(seeded_copy)
    customers = dataset_urn("olist_dirty", "olist_customers")
    code, screen = _on_pty("catalog", "show", customers, "--home", str(seeded_copy))
    assert code == 0 and "Customers click" in screen and "second line" in screen
    _assert_clean(screen, "catalog show")
    code, screen = _on_pty("catalog", "search", "revenue dashboard", "--home", str(seeded_copy))
    assert code == 0 and "Revenueclick" in screen
    _assert_clean(screen, "catalog search")
    code, screen = _on_pty("catalog", "show", customers, "--json", "--home", str(seeded_copy))
    assert code == 0 and "\\u001b" in screen  # JSON keeps the text, escaped
    _assert_clean(screen, "catalog show --json")
