"""The issue's "done when": one MCP client session goes from "revenue dashboard wrong" to the three
origins with their paths, reads the postmortem, and with writes allowed opens and resolves the incidents.
The dbt world's session is in test_dbt_world.py.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import anyio
from mcp import Client, StdioServerParameters

from tests.mcp._client import KIT_ORIGINS, call, error_of, investigate, text_of


def test_from_words_to_resolved_incidents(
    seeded_copy: Path, stdio_server: Callable[..., StdioServerParameters]
) -> None:
    async def session() -> None:
        async with Client(stdio_server(seeded_copy, "--allow-writes")) as client:
            found, _ = await investigate(client, text="revenue dashboard wrong")
            symptom = found["symptom"]["urn"]
            origins = {o["dataset_urn"]: o for o in found["origins"]}
            assert {o["name"] for o in origins.values()} == KIT_ORIGINS
            for urn, origin in origins.items():
                hops = [h["urn"] for h in origin["lineage_path"]]
                assert hops[0] == symptom and hops[-1] == urn and len(hops) >= 3

            postmortem = text_of(await client.call_tool("get_postmortem", {"run_id": found["run_id"]}))
            assert all(name in postmortem for name in KIT_ORIGINS)
            assert (await call(client, "list_incidents"))["total"] == 0

            opened, _ = await investigate(client, text="revenue dashboard wrong", dry_run=False)
            assert opened["verdict"] == "root_cause_found" and not opened["dry_run"]
            incident_writes = [w for w in opened["writes"] if w["aspect"] == "incidentInfo"]
            assert len(incident_writes) == 3 and all(w["verified"] for w in incident_writes)

            active = (await call(client, "list_incidents", state="ACTIVE"))["incidents"]
            assert len(active) == 3
            assert {u for i in active for u in i["entities"]} >= set(origins)
            for incident in active:
                one = await call(client, "get_incident", urn=incident["urn"])
                assert one["state"] == "ACTIVE" and one["title"] == incident["title"]

            # A person acknowledges one (through the assistant), then resolves them all.
            first = active[0]["urn"]
            acked = await call(client, "acknowledge_incident", urn=first, by="alice", note="on it")
            assert (acked["state"], acked["stage"]) == ("ACTIVE", "INVESTIGATION")
            assert acked["opened_by"] == "run" and acked["actor"] == "urn:li:corpuser:alice"
            assert acked["watcher_resolves_it"] and acked["failing_checks"]  # the origin's failing checks
            for incident in active:
                done = await call(client, "resolve_incident", urn=incident["urn"], by="alice", note="fixed")
                assert (done["state"], done["stage"]) == ("RESOLVED", "FIXED")
                assert not done["watcher_resolves_it"]  # a person's resolve is final
                one = await call(client, "get_incident", urn=incident["urn"])
                assert (one["state"], one["stage"]) == ("RESOLVED", "FIXED")  # read back from DataHub
            again = await error_of(client, "resolve_incident", urn=first)
            assert "already resolved" in again

            assert (await call(client, "list_incidents", state="ACTIVE"))["total"] == 0
            resolved = (await call(client, "list_incidents", state="RESOLVED"))["incidents"]
            assert {i["urn"] for i in resolved} == {i["urn"] for i in active}

    anyio.run(session)
