"""`oncall watch` and `oncall incidents ...` as a person uses them (real commands, real Lite file)."""

from __future__ import annotations

import json
from pathlib import Path

from oncall.agents.writeback import incident_urn
from tests.agents._lifecycle import ITEMS, PRODUCTS, config_of, incident_info, repair
from tests.cli._helpers import invoke


def test_watch_then_list_show_ack_resolve_and_stats(seeded_copy: Path) -> None:
    home = str(seeded_copy)
    first = invoke("watch", "--once", "--json", "--home", home)
    assert first.code == 0, first.err
    assert len(json.loads(first.out)["opened"]) == 3
    again = invoke("watch", "--once", "--home", home)
    assert again.code == 0 and "No incident changed." in again.out
    listed = invoke("incidents", "list", "--json", "--home", home)
    rows = json.loads(listed.out)
    assert {r["state"] for r in rows} == {"ACTIVE"} and len(rows) == 3
    plain = invoke("incidents", "list", "--home", home)
    assert "TRIAGE" in plain.out and "logistics_team" in plain.out
    items = incident_urn(ITEMS, 0)
    shown = invoke("incidents", "show", items[-8:], "--home", home)
    assert shown.code == 0 and "olist_order_items" in shown.out and "timeline:" in shown.out
    assert "seller_id_length_eq_32" in shown.out and "path:" in shown.out
    acked = invoke("incidents", "ack", items, "--by", "alice", "--note", "on it", "--json", "--home", home)
    assert acked.code == 0, acked.err
    assert json.loads(acked.out)["stage"] == "INVESTIGATION"
    assert incident_info(config_of(seeded_copy), items).status.lastUpdated.actor == "urn:li:corpuser:alice"
    products = incident_urn(PRODUCTS, 0)
    done = invoke(
        "incidents", "resolve", products, "--stage", "NO_ACTION_REQUIRED", "--by", "bob", "--home", home
    )
    assert done.code == 0 and "RESOLVED / NO_ACTION_REQUIRED" in done.out
    twice = invoke("incidents", "resolve", products, "--home", home)
    assert twice.code == 2 and "already resolved" in twice.err
    repair(config_of(seeded_copy))
    assert invoke("watch", "--once", "--home", home).code == 0
    stats = json.loads(invoke("incidents", "stats", "--json", "--home", home).out)
    assert stats["count"] == 3 and stats["active"] == 0
    assert stats["median"]["time_to_open_s"] is not None and stats["median"]["time_to_resolve_s"] is not None
    table = invoke("incidents", "stats", "--home", home)
    assert "median" in table.out and "to resolve" in table.out


def test_bad_input_gets_one_line_and_exit_2(seeded_copy: Path, home: Path) -> None:
    missing = invoke("incidents", "show", "urn:li:incident:nope", "--home", str(seeded_copy))
    assert missing.code == 2 and "run `oncall watch` first" in missing.err
    assert invoke("watch", "--once", "--home", str(seeded_copy)).code == 0
    unknown = invoke("incidents", "ack", "urn:li:incident:nope", "--home", str(seeded_copy))
    assert unknown.code == 2 and "no incident urn:li:incident:nope in DataHub" in unknown.err
    short = invoke("incidents", "ack", "abcdef12", "--home", str(seeded_copy))
    assert short.code == 2 and "not an incident the watcher opened" in short.err
    no_setup = invoke("watch", "--once", "--home", str(home))
    assert no_setup.code == 2 and "oncall setup" in no_setup.err
    assert invoke("incidents", "list", "--home", str(home)).out.startswith("No incidents.")
