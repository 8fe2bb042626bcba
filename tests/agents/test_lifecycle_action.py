"""The DataHub Actions door: EntityChangeEvent_v1 assertion-run events drive the same handler."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

from oncall.agents.lifecycle import list_incidents
from oncall.agents.lifecycle.action import OncallLifecycleAction, run_event_from_change
from oncall.catalog.lite import LiteCatalog
from oncall.catalog.run_events import read_run_events
from tests.agents._lifecycle import KIT_ORIGINS, config_of, now_ms


def _change(assertion: str, dataset: str, result: str, ts: int) -> Any:
    event = {
        "entityType": "assertion",
        "entityUrn": assertion,
        "category": "RUN",
        "operation": "COMPLETED",
        "parameters": {
            "runResult": result,
            "runId": f"run-{ts}",
            "asserteeUrn": dataset,
            "assertionUrn": assertion,
        },
        "auditStamp": {"actor": "urn:li:corpuser:datahub", "time": ts},
        "version": 0,
    }
    return SimpleNamespace(event_type="EntityChangeEvent_v1", event=event, meta={})


def test_change_events_are_parsed_or_ignored() -> None:
    run = run_event_from_change(_change("urn:li:assertion:a", "urn:li:dataset:d", "FAILURE", 5).event)
    assert run is not None and (run.result, run.timestamp_ms, run.run_id) == ("FAILURE", 5, "run-5")
    assert run_event_from_change({"entityType": "dataset", "category": "TAG"}) is None
    assert run_event_from_change({"entityType": "assertion", "category": "RUN", "parameters": {}}) is None


def test_the_action_opens_and_resolves_like_the_watcher(seeded_copy: Path) -> None:
    config = config_of(seeded_copy)
    with LiteCatalog(config.lite_path, read_only=True) as catalog:
        events, _ = read_run_events(catalog, 0)
    failing = {e.assertion_urn: e for e in events if e.result == "FAILURE" and "olist_dirty" in e.dataset_urn}
    action = OncallLifecycleAction.create({"home": str(seeded_copy)}, ctx=None)
    try:
        ts = now_ms()
        action.act(SimpleNamespace(event_type="MetadataChangeLogEvent_v1", event={}))  # not ours: ignored
        for e in failing.values():
            action.act(_change(e.assertion_urn, e.dataset_urn, "FAILURE", ts))
        assert {i.origin for i in list_incidents(config)} == KIT_ORIGINS
        for tracked in list_incidents(config):  # every listed assertion passes again
            for a in tracked.assertions:
                action.act(_change(a.urn, a.dataset_urn, "SUCCESS", ts + 1000))
        assert all(i.state == "RESOLVED" for i in list_incidents(config))
    finally:
        action.close()
