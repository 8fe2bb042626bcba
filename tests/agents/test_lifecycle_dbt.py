"""The incident lifecycle on the dbt world, for real: dbt-core builds it, DataHub's dbt source ingests
it into Lite, `oncall watch --once` opens one incident per origin from the failing run by itself, and
ingesting the repaired run resolves them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import datahub.metadata.schema_classes as m
import pytest
from click.testing import CliRunner

from oncall.agents.lifecycle import list_incidents
from oncall.catalog.lite import LiteCatalog
from oncall.catalog.recipes import run_recipe
from oncall.cli import main
from oncall.config import load_config
from oncall.eval.dbt_world import node_name
from oncall.world.dbt import load_dbt_summary

pytestmark = pytest.mark.slow

ORIGINS = {"stg_accounts", "stg_invoices", "stg_subscriptions", "stg_payments"}
"""One origin per planted fault: each breaks one staging model's test."""


def _watch(home: Path) -> dict[str, Any]:
    result = CliRunner().invoke(main, ["watch", "--once", "--json", "--home", str(home)])
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def _info(catalog: LiteCatalog, urn: str) -> m.IncidentInfoClass:
    info = catalog.get_aspect(urn, m.IncidentInfoClass)
    assert info is not None, urn
    return info


def test_a_failing_dbt_run_opens_grouped_incidents_and_the_fixed_run_resolves_them(
    dbt_world: Path, dbt_lite_copy: Path
) -> None:
    config = load_config(dbt_lite_copy, environ={})
    opened = _watch(dbt_lite_copy)  # the catalog holds the passing run, then the failing one
    incidents = {node_name(i.origin): i for i in list_incidents(config)}
    assert set(incidents) == ORIGINS
    assert sorted(opened["opened"]) == sorted(i.urn for i in incidents.values())
    # The relationships test's copy on the model it references (stg_plans) is the same failing check:
    # it joins no incident of its own.
    assert opened["ignored"] >= 1 and opened["loops"] == len(ORIGINS)
    with LiteCatalog(config.lite_path, read_only=True) as catalog:
        for name, tracked in incidents.items():
            assert [node_name(a.dataset_urn) for a in tracked.assertions] == [name]
            info = _info(catalog, tracked.urn)
            assert (info.status.state, info.status.stage) == ("ACTIVE", "TRIAGE")
            assert info.source is not None and info.source.type == "ASSERTION_FAILURE"
            assert info.source.sourceUrn == tracked.assertions[0].urn
            owners = sorted(o.urn for o in catalog.get(tracked.origin).owners)
            assert owners and sorted(a.actor for a in info.assignees or []) == owners  # schema.yml's owners
        mrr = [b for b in incidents["stg_subscriptions"].affected if node_name(b) == "fct_mrr"]
        assert mrr, "the MRR mart is in the blast radius of the subscriptions incident"

    assert _watch(dbt_lite_copy)["opened"] == []  # nothing new: nothing changes

    summary = load_dbt_summary(dbt_world)
    assert summary is not None and summary.recovery is not None
    run_recipe(config, Path(summary.recovery.recipe))
    resolved = _watch(dbt_lite_copy)
    assert sorted(resolved["resolved"]) == sorted(i.urn for i in incidents.values())
    assert resolved["loops"] == 0 and resolved["opened"] == []
    with LiteCatalog(config.lite_path, read_only=True) as catalog:
        for tracked in list_incidents(config):
            info = _info(catalog, tracked.urn)
            assert (info.status.state, info.status.stage) == ("RESOLVED", "FIXED")
            (passing,) = tracked.assertions
            assert passing.last_result == "SUCCESS" and passing.last_run_id in (info.status.message or "")
            assert tracked.resolved_by == "watcher"
