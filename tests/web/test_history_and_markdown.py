"""The run-history folder the CLI shares, and the server-side postmortem renderer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from oncall.errors import NotFoundError, UserError
from oncall.events import RunEvents, new_run_id
from oncall.report.models import RunResult
from oncall.web.history import RunStore
from oncall.web.markdown import entity_href, render_markdown

URN = "urn:li:dataset:(urn:li:dataPlatform:sqlite,olist_dirty.main.olist_customers,PROD)"


def test_store_round_trip_and_torn_last_line(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "runs")
    run_id = new_run_id()
    events = RunEvents(run_id)
    writer = store.record(events)
    events.emit("system", "run_started", {"incident": "x"})
    events.emit("detective", "finding", {"symptom": URN})
    writer.close()
    with store.events_path(run_id).open("a") as f:
        f.write('{"run_id": "' + run_id + '", "seq": 3, "ts"')  # a crash mid-line
    assert [e.seq for e in store.events(run_id)] == [1, 2]
    assert [e.seq for e in store.events(run_id, after_seq=1)] == [2]

    store.save(RunResult(run_id=run_id, incident="x", verdict="no_regression", started_at=1.0))
    assert store.load(run_id).verdict == "no_regression"
    assert not list((tmp_path / "runs").glob("*.tmp")), "written atomically"
    assert [r.run_id for r in store.list()] == [run_id]


def test_listing_skips_unreadable_results_and_sorts_newest_first(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    for started, run_id in [(1.0, "a-old"), (3.0, "c-new"), (2.0, "b-mid")]:
        store.save(RunResult(run_id=run_id, incident=run_id, started_at=started))
    (tmp_path / "broken.json").write_text("{")
    (tmp_path / "writes.jsonl").write_text(json.dumps({"not": "a run"}))
    assert [r.run_id for r in store.list()] == ["c-new", "b-mid", "a-old"]


def test_a_run_without_result_is_listed_as_interrupted_and_replayable(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    events = RunEvents("20200101T000000Z-c0ffee")
    writer = store.record(events)
    events.emit("system", "run_started", {"incident": "orders by state chart is missing orders"})
    assert [r.status for r in store.list()] == ["running"]  # its writer still holds the file
    writer.close()  # the process died here: no run_finished, no result file
    (row,) = store.list()
    assert (row.run_id, row.status, row.incident) == (
        events.run_id,
        "interrupted",
        "orders by state chart is missing orders",
    )
    assert [e.kind for e in store.events(events.run_id)] == ["run_started"]
    with pytest.raises(NotFoundError, match="replay its events"):
        store.load(events.run_id)


def test_a_history_file_with_bytes_that_are_not_utf8_spoils_only_its_own_line(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    events = RunEvents("20200101T000000Z-0dd0dd")
    writer = store.record(events)
    events.emit("system", "run_started", {"incident": "payments look off"})
    writer.close()
    with store.events_path(events.run_id).open("ab") as fh:
        fh.write(b"\xff\xfe{torn\n")
    assert [e.kind for e in store.events(events.run_id)] == ["run_started"]
    assert [r.status for r in store.list()] == ["interrupted"]


@pytest.mark.parametrize("bad", ["../etc/passwd", "a/b", "", ".hidden", "x" * 81, "a b"])
def test_run_ids_cannot_escape_the_folder(tmp_path: Path, bad: str) -> None:
    with pytest.raises(UserError, match="malformed"):
        RunStore(tmp_path).result_path(bad)


def test_missing_run_names_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="GET /api/runs"):
        RunStore(tmp_path).load("20200101T000000Z-abcdef")


def test_markdown_escapes_html_and_allow_lists_links() -> None:
    html = render_markdown(
        "# Postmortem <script>alert(1)</script>\n\n"
        "<img src=x onerror=alert(1)>\n\n"
        "[evil](javascript:alert(1)) [data](data:text/html,hi) "
        f"[ok](https://datahub.example/x) [t]({URN})\n\n"
        "| check | value |\n|---|---|\n| row_count | 159 |\n"
    )
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;" in html and "&lt;img" in html
    assert 'href="javascript:' not in html and 'href="data:' not in html
    assert '<a href="https://datahub.example/x" rel="noopener noreferrer">ok</a>' in html
    assert f'href="{entity_href(URN)}"' in html
    assert "<table>" in html and "<td>row_count</td>" in html


def test_entity_href_embedded_or_datahub_ui() -> None:
    assert (
        entity_href(URN) == "/entity?urn=urn%3Ali%3Adataset%3A%28urn%3Ali%3AdataPlatform%3Asqlite%2C"
        "olist_dirty.main.olist_customers%2CPROD%29"
    )
    assert entity_href(URN, "https://ui.example/").startswith("https://ui.example/dataset/urn%3Ali%3Adataset")
    assert entity_href("urn:li:chart:(superset,olist_dirty.revenue_by_seller)", "https://ui").startswith(
        "https://ui/chart/"
    )
