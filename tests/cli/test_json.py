"""`--json` for scripts: stdout is exactly one JSON document; progress and lanes go to stderr."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from oncall.world.urns import dashboard_urn, table_in
from tests.cli._helpers import invoke


def _json(*args: str) -> tuple[Any, str]:
    outcome = invoke(*args, "--json")
    assert outcome.code == 0, outcome.err
    return json.loads(outcome.out), outcome.err


def test_world_show(seeded_home: Path) -> None:
    world, _ = _json("world", "show", "--home", str(seeded_home))
    assert set(world["rows"]) == {"olist_source", "olist_dirty"}
    assert world["faults"] and all(f["rows_touched"] > 0 for f in world["faults"])


def test_catalog_search(seeded_home: Path) -> None:
    hits, _ = _json(
        "catalog", "search", "revenue dashboard", "--type", "dashboard", "--home", str(seeded_home)
    )
    assert hits and all(h["ref"]["type"] == "dashboard" and h["reasons"] for h in hits)
    assert dashboard_urn("olist_dirty", "revenue") in [h["ref"]["urn"] for h in hits]
    scores = [h["score"] for h in hits]
    assert scores == sorted(scores, reverse=True)


def test_assertions_diff(seeded_home: Path) -> None:
    entries, _ = _json("assertions", "diff", "--home", str(seeded_home))
    assert {e["status"] for e in entries} <= {"regression", "pre-existing", "recovered", "unchanged"}
    regressions = [e for e in entries if e["status"] == "regression"]
    assert regressions and all(table_in(e["dataset_urn"], "olist_dirty") for e in regressions)
    assert all(
        e["baseline"]["result"] == "SUCCESS" and e["production"]["result"] == "FAILURE" for e in regressions
    )


def test_run_prints_only_the_result_and_streams_lanes_to_stderr(seeded_copy: Path) -> None:
    result, err = _json("run", "revenue dashboard wrong", "--dry-run", "--home", str(seeded_copy))
    assert result["verdict"] == "root_cause_found" and result["run_id"]
    assert "detective │" in err and "finished: root_cause_found" in err
