"""The incident lifecycle on the demo world: failing runs open grouped incidents, passing runs resolve
them, a relapse re-opens them, and a person's acknowledgement, resolution or edit is respected."""

from __future__ import annotations

from pathlib import Path

import datahub.metadata.schema_classes as m
import pytest

from oncall.agents.lifecycle import acknowledge, incident_stats, list_incidents, resolve
from oncall.agents.writeback import incident_urn
from oncall.catalog.lite import LiteCatalog
from oncall.catalog.urns import ACTOR
from tests.agents._lifecycle import (
    CUSTOMERS,
    ITEMS,
    KIT_ORIGINS,
    ORDERS,
    PRODUCTS,
    config_of,
    emit,
    incident_info,
    incident_urns_in_catalog,
    rebreak,
    repair,
    watch_once,
)
from tests.plugins.agents import RunOffline


def test_failing_runs_open_one_incident_per_origin(seeded_copy: Path) -> None:
    config = config_of(seeded_copy)
    report = watch_once(config)
    found = {i.origin: i for i in list_incidents(config)}
    assert set(found) == KIT_ORIGINS  # 4 failing datasets, 3 origins: orders' FK check joins customers
    assert report.loops == 4 and len(report.opened) == 3
    assert {a.dataset_urn for a in found[CUSTOMERS].assertions} == {CUSTOMERS, ORDERS}
    with LiteCatalog(config.lite_path, read_only=True) as catalog:
        for origin, tracked in found.items():
            info = incident_info(config, tracked.urn)
            assert tracked.urn == incident_urn(origin, 0)
            assert info.source is not None and info.source.type == "ASSERTION_FAILURE"
            assert info.source.sourceUrn == tracked.assertions[0].urn  # the first failing assertion
            assert info.entities[0] == origin and set(tracked.affected) <= set(info.entities)
            assert info.status.state == "ACTIVE" and info.status.stage == "TRIAGE"
            assert info.status.message and info.status.message.startswith("Opened:")
            owners = sorted(o.urn for o in catalog.get(origin).owners)
            assert owners and sorted(a.actor for a in info.assignees or []) == owners
            for a in tracked.assertions:
                assert a.urn in (info.description or "")  # every failing assertion is listed
    # Both dashboards are reached from items and customers: CRITICAL; products reaches one: HIGH.
    assert (found[ITEMS].priority, found[CUSTOMERS].priority, found[PRODUCTS].priority) == (0, 0, 1)


def test_a_second_pass_changes_nothing(seeded_copy: Path) -> None:
    config = config_of(seeded_copy)
    watch_once(config)
    before = [(i.urn, i.model_dump_json()) for i in list_incidents(config)]
    report = watch_once(config)
    assert report.events == 0 and not (report.opened or report.updated or report.resolved)
    assert [(i.urn, i.model_dump_json()) for i in list_incidents(config)] == before
    assert len(incident_urns_in_catalog(config)) == 3


def test_passing_runs_resolve_and_a_relapse_reopens(seeded_copy: Path) -> None:
    config = config_of(seeded_copy)
    watch_once(config)
    broken = repair(config)
    report = watch_once(config)
    assert len(report.resolved) == 3 and report.loops == 0
    for tracked in list_incidents(config):
        info = incident_info(config, tracked.urn)
        assert (info.status.state, info.status.stage) == ("RESOLVED", "FIXED")
        message = info.status.message or ""
        assert message.startswith("Resolved: every assertion passes again")
        for a in tracked.assertions:  # the message names each passing run
            assert a.last_result == "SUCCESS" and a.last_run_id in message
        assert tracked.resolved_by == "watcher"
    rebreak(config, broken)
    report = watch_once(config)
    assert sorted(report.reopened) == sorted(incident_urn(o, 0) for o in KIT_ORIGINS)
    assert not report.opened
    for tracked in list_incidents(config):
        info = incident_info(config, tracked.urn)
        assert (info.status.state, info.status.stage) == ("ACTIVE", "TRIAGE")
        assert (info.status.message or "").startswith("Relapsed")
    assert len(incident_urns_in_catalog(config)) == 3


def test_a_relapse_after_the_window_opens_the_next_incident(seeded_copy: Path) -> None:
    config = config_of(seeded_copy, relapse_window_s=0.0)
    watch_once(config)
    broken = repair(config)
    watch_once(config)
    rebreak(config, broken)
    report = watch_once(config)
    assert sorted(report.opened) == sorted(incident_urn(o, 1) for o in KIT_ORIGINS)
    assert not report.reopened
    assert incident_info(config, incident_urn(ITEMS, 0)).status.state == "RESOLVED"


def test_acknowledged_incidents_still_resolve_themselves(seeded_copy: Path) -> None:
    config = config_of(seeded_copy)
    watch_once(config)
    urn = incident_urn(PRODUCTS, 0)
    with LiteCatalog(config.lite_path) as catalog:
        acked = acknowledge(config, catalog, urn[-8:], by="urn:li:corpuser:alice", note="on it")
    assert acked.stage == "INVESTIGATION" and acked.acked_ms
    info = incident_info(config, urn)
    assert info.status.stage == "INVESTIGATION" and info.status.lastUpdated.actor == "urn:li:corpuser:alice"
    repair(config)
    report = watch_once(config)
    assert urn in report.resolved and not report.hands_off
    assert incident_info(config, urn).status.stage == "FIXED"
    stats = incident_stats(config)
    row = next(r for r in stats["incidents"] if r["urn"] == urn)
    assert row["time_to_ack_s"] is not None and row["time_to_resolve_s"] >= row["time_to_ack_s"]
    assert stats["median"]["time_to_open_s"] is not None


def test_a_person_resolving_is_final_and_a_relapse_opens_the_next(seeded_copy: Path) -> None:
    config = config_of(seeded_copy)
    watch_once(config)
    urn = incident_urn(ITEMS, 0)
    with LiteCatalog(config.lite_path) as catalog:
        resolve(config, catalog, urn, by="urn:li:corpuser:bob", stage="NO_ACTION_REQUIRED", note="expected")
        with pytest.raises(Exception, match="already resolved"):
            resolve(config, catalog, urn, by="urn:li:corpuser:bob")
    broken = repair(config)
    watch_once(config)
    rebreak(config, broken)
    report = watch_once(config)
    info = incident_info(config, urn)
    assert (info.status.stage, info.status.lastUpdated.actor) == ("NO_ACTION_REQUIRED", "urn:li:corpuser:bob")
    assert incident_urn(ITEMS, 1) in report.opened  # the person's incident stays closed
    assert incident_urn(PRODUCTS, 0) in report.reopened


def test_a_person_edit_in_datahub_wins(seeded_copy: Path) -> None:
    config = config_of(seeded_copy)
    watch_once(config)
    urn = incident_urn(CUSTOMERS, 0)
    edited = incident_info(config, urn)
    edited.title = "Customers: known backfill, Carol is on it"
    emit(config, urn, edited)
    repair(config)
    report = watch_once(config)
    assert urn in report.hands_off and urn not in report.resolved
    info = incident_info(config, urn)
    assert info.title == "Customers: known backfill, Carol is on it" and info.status.state == "ACTIVE"
    assert info.status.lastUpdated.actor == ACTOR  # our last write was before the person's edit
    others = [i for i in list_incidents(config) if i.urn != urn]
    assert all(i.state == "RESOLVED" for i in others)


def test_a_dataset_with_no_owner_is_unassigned(seeded_copy: Path) -> None:
    config = config_of(seeded_copy)
    emit(config, PRODUCTS, m.OwnershipClass(owners=[]))
    watch_once(config)
    tracked = next(i for i in list_incidents(config) if i.origin == PRODUCTS)
    assert tracked.assignees == []
    info = incident_info(config, tracked.urn)
    assert not info.assignees and "no owner" in (info.status.message or "")


def test_a_run_s_incident_is_adopted_when_acknowledged_and_then_resolves_itself(
    seeded_copy: Path, run_offline: RunOffline
) -> None:
    config = config_of(seeded_copy)
    result, _ = run_offline(config, "customers table lost rows", dry_run=False)
    (ours,) = [w.urn for w in result.writes if w.aspect == "incidentInfo"]
    assert ours == incident_urn(CUSTOMERS, 0) and list_incidents(config) == []  # a run's, not the watcher's
    with LiteCatalog(config.lite_path) as catalog:
        acked = acknowledge(config, catalog, ours, by="urn:li:corpuser:alice")
    assert acked.opened_by == "run" and acked.origin == CUSTOMERS and acked.stage == "INVESTIGATION"
    assert acked.failing() and all(a.dataset_urn == CUSTOMERS for a in acked.failing())
    assert [i.urn for i in list_incidents(config)] == [ours]  # the watcher's from now on
    repair(config)
    report = watch_once(config)
    assert ours in report.resolved
    info = incident_info(config, ours)
    assert (info.status.state, info.status.stage) == ("RESOLVED", "FIXED")
    assert (info.status.message or "").startswith("Resolved: every assertion passes again")


def test_reset_resolves_the_tracked_incidents_too(seeded_copy: Path) -> None:
    from oncall.agents.undo import reset

    config = config_of(seeded_copy)
    watch_once(config)
    assert {i.state for i in list_incidents(config)} == {"ACTIVE"}
    writes = reset(config)
    resolved = {w.urn for w in writes if w.action == "resolve"}
    tracked = list_incidents(config)
    assert {i.urn for i in tracked} <= resolved  # reset found every incident the watcher opened
    for incident in tracked:  # and the store says what DataHub says, not ACTIVE until the next event
        assert incident.state == "RESOLVED" and incident.resolved_by == ACTOR
        assert incident.timeline[-1].message.startswith("Resolved by oncall reset")
        assert incident_info(config, incident.urn).status.state == "RESOLVED"
    assert not watch_once(config).opened  # no new failing event: nothing re-opens
