"""The watcher's incidents on the HTTP API: list, show, ack, resolve, stats (same functions as the CLI)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from oncall.agents.writeback import incident_urn
from oncall.web.server import ServerThread
from tests.agents._lifecycle import ITEMS, PRODUCTS, config_of, incident_info, watch_once


def test_list_show_ack_resolve_and_stats(seeded_copy: Path, console: ServerThread) -> None:
    config = config_of(seeded_copy)
    with httpx.Client(base_url=console.url, timeout=30) as client:
        assert client.get("/api/incidents").json() == []
        with ThreadPoolExecutor(1) as pool:  # a browser test may hold this thread's event loop
            pool.submit(watch_once, config).result()
        listed = client.get("/api/incidents", params={"state": "ACTIVE"}).json()
        assert len(listed) == 3 and {i["stage"] for i in listed} == {"TRIAGE"}
        items = incident_urn(ITEMS, 0)
        shown = client.get(f"/api/incidents/{items}").json()
        assert shown["origin"] == ITEMS and shown["assertions"] and shown["timeline"]
        assert client.get(f"/api/incidents/{items[-8:]}").json()["urn"] == items
        acked = client.post(f"/api/incidents/{items}/ack", json={"by": "alice", "note": "on it"})
        assert acked.status_code == 200 and acked.json()["stage"] == "INVESTIGATION"
        assert incident_info(config, items).status.lastUpdated.actor == "urn:li:corpuser:alice"
        products = incident_urn(PRODUCTS, 0)
        done = client.post(f"/api/incidents/{products}/resolve", json={"stage": "NO_ACTION_REQUIRED"})
        assert done.json()["state"] == "RESOLVED"
        assert incident_info(config, products).status.lastUpdated.actor == "urn:li:corpuser:console"
        again = client.post(f"/api/incidents/{products}/resolve", json={})
        assert again.status_code == 400 and "already resolved" in again.json()["error"]["message"]
        missing = client.get("/api/incidents/urn:li:incident:nope")
        assert missing.status_code == 404
        not_an_incident = client.post("/api/incidents/urn:li:dataset:x/ack", json={})
        assert not_an_incident.status_code == 400  # a bad argument, not a missing incident
        assert "is not an incident URN" in not_an_incident.json()["error"]["message"]
        bad = client.post(f"/api/incidents/{items}/resolve", json={"stage": "DONE"})
        assert bad.status_code == 422
        stats = client.get("/api/incidents/stats").json()
        assert stats["count"] == 3 and stats["active"] == 2
        assert stats["median"]["time_to_ack_s"] is not None
        assert [i["urn"] for i in client.get("/api/incidents", params={"state": "RESOLVED"}).json()] == [
            products
        ]
