"""The embedded entity page API and reset, on the seeded Lite catalog after a real run."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx

from oncall.web.server import ServerThread
from oncall.world.urns import dataset_urn
from tests.web._sse import read_events

CUSTOMERS = dataset_urn("olist_dirty", "olist_customers")


def run_to_end(client: httpx.Client, incident: str, **body: object) -> dict:
    run_id = client.post("/api/runs", json={"incident": incident, **body}).json()["run_id"]
    read_events(client, run_id)
    return client.get(f"/api/runs/{run_id}").json()


def test_entity_page_before_and_after_a_run_then_reset(console: ServerThread) -> None:
    with httpx.Client(base_url=console.url, timeout=60) as client:
        before = client.get(f"/api/entities/{CUSTOMERS}").json()
        assert before["entity"]["urn"] == CUSTOMERS
        assert before["entity"]["name"] == "olist_customers"
        assert before["incidents"] == []
        assert before["href"].startswith("/entity?urn=")
        checks = {a["native_type"]: a for a in before["assertions"]}
        failing = [a for a in checks.values() if a["result"] == "FAILURE"]
        assert failing, "the planted row loss shows as a failing latest result"
        assert all(a["timestamp_ms"] for a in checks.values() if a["result"])
        downstream = {n["name"] for n in before["downstream"]}
        assert "v_order_details" in downstream or "olist_orders" in downstream
        assert all(n["href"].startswith("/entity?urn=") for n in before["downstream"])

        result = run_to_end(client, "revenue dashboard wrong")
        assert any(w["aspect"] == "incidentInfo" and w["verified"] for w in result["writes"])

        after = client.get(f"/api/entities/{CUSTOMERS}").json()
        assert len(after["incidents"]) == 1, "one active incident per origin"
        incident = after["incidents"][0]
        assert incident["state"] == "ACTIVE" and CUSTOMERS in incident["entities"]
        assert incident["title"]

        undone = client.post("/api/reset", json={}).json()["writes"]
        assert undone, "reset reports what it undid"
        assert client.get(f"/api/entities/{CUSTOMERS}").json()["incidents"] == []


def test_entity_links_follow_the_datahub_ui_when_configured(
    seeded_copy: Path, serve_console: Callable[..., ServerThread]
) -> None:
    with ((seeded_copy) / "config.yaml").open("a", encoding="utf-8") as f:  # keep the demo's settings
        f.write("datahub_ui_url: http://datahub.local:9002/\n")
    server = serve_console(seeded_copy)
    page = httpx.get(f"{server.url}/api/entities/{CUSTOMERS}", timeout=30).json()
    assert page["href"].startswith("http://datahub.local:9002/dataset/urn%3Ali%3Adataset")
    assert (
        httpx.get(f"{server.url}/api/info", timeout=10).json()["datahub_ui_url"]
        == "http://datahub.local:9002/"
    )
