"""Reading ahead on a server (`oncall.agents.ahead`): while the scan of failing checks still pages, the
join's reads go out from the Detective's scope. The answer must be the one the run gives without it.

The catalog is the multi-platform fixture (Snowflake + dbt + Airflow + Looker, no platform instances),
served by the GMS stand-in; the same file in DataHub Lite gives the reference answer. The stand-in's
scan is held until the read ahead has started the blast radius, so the order does not depend on timing.
"""

from __future__ import annotations

import shutil
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import graphql
import pytest

from oncall.agents import investigation, run_incident_sync
from oncall.agents.ahead import Ahead
from oncall.agents.ancestry import ancestors
from oncall.catalog.base import Catalog
from oncall.catalog.gms import GmsCatalog
from oncall.catalog.graph import LineageGraph
from oncall.catalog.lite import LiteCatalog
from oncall.config import load_config
from oncall.events import RunEvents
from oncall.report.models import RunResult
from tests.catalog import multiplatform as mp
from tests.catalog.gms_standin import GmsStandin, Store

HELD_S = 20.0
"""At most this long the scan waits for the read ahead (it starts at once when that works)."""


class HeldScan(GmsCatalog):
    """The GMS adapter with its scan of failing checks held until the blast radius is read (which the
    read ahead starts last), as a scan of a big catalog is still paging by then."""

    walking = threading.Event()

    def failing_assertions(self, instance: str | None = None) -> dict[str, list[str]]:
        self.walking.wait(HELD_S)
        return super().failing_assertions(instance)

    def lineage_graph(self, urns: Any, *, direction: Any = "upstream") -> LineageGraph:
        if direction == "downstream":
            self.walking.set()
        return super().lineage_graph(urns, direction=direction)


def _answer(result: RunResult) -> dict[str, Any]:
    """What a run concluded, in a form two runs can be compared by."""
    return {
        "verdict": result.verdict,
        "root_causes": [
            (
                rc.dataset_urn,
                rc.origin,
                rc.confidence,
                rc.lineage_path,
                [a.assertion_urn for a in rc.assertions],
            )
            for rc in result.root_causes
        ],
        "elsewhere": [e.assertion_urn for e in result.elsewhere],
        "blast_radius": [(b.urn, b.origins) for b in result.blast_radius],
        "diff": [(e.assertion_urn, e.status, e.baseline_kind) for e in result.diff],
    }


def _tools(events: RunEvents) -> list[str]:
    return [e.data["tool"] for e in events.events if e.kind == "tool_call"]


def _gms_run(
    schema: graphql.GraphQLSchema, lite_file: Path, home: Path, adapter: type[GmsCatalog] = HeldScan
) -> tuple[RunResult, RunEvents, list[tuple[str, dict[str, Any]]]]:
    """A dry run on the dashboard over the stand-in: the result, events and documents."""
    with GmsStandin(schema, Store.from_lite(lite_file)) as server:
        config = load_config(home, environ={"ONCALL_CATALOG": "gms", "DATAHUB_GMS_URL": server.url})
        catalog = adapter(server.url, timeout_s=30, write_retries=0)
        HeldScan.walking.clear()
        events = RunEvents("gms")
        try:
            result = run_incident_sync(
                symptom_urn=mp.DASHBOARD, config=config, catalog=catalog, events=events, dry_run=True
            )
        finally:
            catalog.close()
        return result, events, list(server.documents)


def test_a_run_that_reads_ahead_gives_the_answer_of_one_that_does_not(
    datahub_schema: graphql.GraphQLSchema,
    multiplatform_lite: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    shutil.copyfile(multiplatform_lite, home / "datahub.db")
    lite_events = RunEvents("lite")
    lite = run_incident_sync(
        symptom_urn=mp.DASHBOARD, config=load_config(home, environ={}), events=lite_events, dry_run=True
    )
    assert "upstream_ahead" not in _tools(lite_events), "in process, nothing is read ahead"

    gms, events, documents = _gms_run(datahub_schema, multiplatform_lite, home)
    assert "upstream_ahead" in _tools(events), "the scan was still paging: the join's reads went ahead"
    [join_walk] = [
        e for e in events.events if e.kind == "tool_call" and e.data["tool"] == "upstream_of_regressed"
    ]
    assert join_walk.data["queries"] == [], "the join's walk was answered by the read ahead"
    assert gms.origins and gms.blast_radius, "the fixture's dashboard has regressed origins upstream"
    # The blast radius and the Fixer's read of the origins were taken from the read ahead, not read again.
    downstream = Counter(v["urn"] for _q, v in documents if v.get("direction") == "DOWNSTREAM")
    assert downstream and max(downstream.values()) == 1, downstream
    origins = sorted(rc.dataset_urn for rc in gms.origins)
    checks = [v for q, v in documents if "oncallDatasetsAssertions" in q and sorted(v["urns"]) == origins]
    assert len(checks) == 1, checks

    monkeypatch.setattr(investigation, "reads_ahead", lambda _ctx: False)
    plain, plain_events, _ = _gms_run(datahub_schema, multiplatform_lite, home, GmsCatalog)
    assert "upstream_ahead" not in _tools(plain_events)
    [plain_walk] = [
        e for e in plain_events.events if e.kind == "tool_call" and e.data["tool"] == "upstream_of_regressed"
    ]
    assert plain_walk.data["queries"], "without it, the join walks the server itself"
    assert _answer(gms) == _answer(plain)
    # Lite picks another of the equally short paths from the dashboard; the rest is the same answer.
    unpathed = [
        {**_answer(r), "root_causes": [c[:3] + c[4:] for c in _answer(r)["root_causes"]]} for r in (gms, lite)
    ]
    assert unpathed[0] == unpathed[1]


class ScanEndsMidWalk(GmsCatalog):
    """The GMS adapter with its scan held until the read ahead's walk is under way, and the walk held
    until the scan has answered: the scan ends while the walk is in flight."""

    walk_started = threading.Event()
    scan_done = threading.Event()

    def failing_assertions(self, instance: str | None = None) -> dict[str, list[str]]:
        self.walk_started.wait(HELD_S)
        try:
            return super().failing_assertions(instance)
        finally:
            self.scan_done.set()

    def lineage_graph(self, urns: Any, *, direction: Any = "upstream") -> LineageGraph:
        if direction == "upstream" and not self.walk_started.is_set():
            self.walk_started.set()
            self.scan_done.wait(HELD_S)
        return super().lineage_graph(urns, direction=direction)


def test_a_scan_that_ends_during_the_walk_read_ahead_waits_for_that_walk(
    datahub_schema: graphql.GraphQLSchema, multiplatform_lite: Path, tmp_path: Path
) -> None:
    """The walk the read ahead has started is the join's own: the join waits for it, sends no lineage
    read of its own, and answers as the run that read ahead in full."""
    home = tmp_path / "home"
    home.mkdir()
    full, _, _ = _gms_run(datahub_schema, multiplatform_lite, home)
    ScanEndsMidWalk.walk_started.clear()
    ScanEndsMidWalk.scan_done.clear()
    mid, events, documents = _gms_run(datahub_schema, multiplatform_lite, home, ScanEndsMidWalk)
    assert ScanEndsMidWalk.scan_done.is_set() and "upstream_ahead" in _tools(events)
    [join_walk] = [
        e for e in events.events if e.kind == "tool_call" and e.data["tool"] == "upstream_of_regressed"
    ]
    assert join_walk.data["queries"] == [], "the join waited for the walk on its way"
    upstream = Counter(v["urn"] for _q, v in documents if v.get("direction") == "UPSTREAM")
    downstream = Counter(v["urn"] for _q, v in documents if v.get("direction") == "DOWNSTREAM")
    assert downstream and max(downstream.values()) == 1, downstream
    assert max(upstream.values()) == 1, "no upstream scroll sent twice"
    assert _answer(mid) == _answer(full)


class Counting:
    """A real catalog that counts the starts of its upstream walks."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.walked: list[list[str]] = []

    def lineage_graph(self, urns: list[str], *, direction: Any = "upstream") -> LineageGraph:
        self.walked.append(list(urns))
        return self.catalog.lineage_graph(urns, direction=direction)


def test_the_walk_reads_only_the_upstreams_not_known_already(multiplatform_lite: Path) -> None:
    marts = [mp.MART["orders"], mp.MART["customers"]]
    with LiteCatalog(multiplatform_lite, read_only=True) as lite:
        full = ancestors(lite, marts, marts, {})
        counting = Counting(lite)
        known = {marts[0]: full[marts[0]]}
        again = ancestors(counting, marts, marts, {}, known=known)  # type: ignore[arg-type]
        assert again == full and full[marts[0]], "a known upstream is the one a walk finds"
        assert counting.walked == [[marts[1]]]
        assert ancestors(counting, marts, marts, {}, known=full) == full  # type: ignore[arg-type]
        assert counting.walked == [[marts[1]]], "nothing left to walk: no read"


def test_the_diff_read_ahead_answers_only_for_datasets_it_covered() -> None:
    from oncall.report.models import DiffEntry

    def entry(dataset: str, assertion: str) -> DiffEntry:
        return DiffEntry.model_validate(
            {
                "dataset_urn": dataset,
                "assertion_urn": assertion,
                "native_type": "not_null",
                "status": "unchanged",
                "production": {},
                "baseline": {},
            }
        )

    a, b, c = (mp.ds("snowflake", f"db.s.{n}") for n in "abc")
    ahead = Ahead(entries=[entry(a, "x1"), entry(b, "y1"), entry(a, "x2")], covered={a, b, c})
    diffed = ahead.diff_of([b, a, c])
    assert diffed is not None and [e.assertion_urn for e in diffed] == ["y1", "x1", "x2"]
    assert ahead.diff_of([c]) == [], "covered, with no assertions"
    assert ahead.diff_of([a, mp.ds("snowflake", "db.s.d")]) is None, "not all covered: read it"
