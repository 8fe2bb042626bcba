"""The MCP tools on the dbt world: a catalog filled only by `oncall ingest` of real dbt artifacts.

Over stdio (a real `oncall mcp` subprocess) every read tool; over HTTP, with writes allowed, the
incidents the watcher opened from the failing dbt run, acknowledged and resolved through the tools, a
run that finds them, and `reset`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import anyio
import pytest
from mcp import Client, StdioServerParameters

from oncall.agents.lifecycle import list_incidents
from oncall.config import load_config
from oncall.eval.dbt_world import node_name
from tests.agents._lifecycle import watch_once
from tests.mcp._client import READ_TOOLS, call, check_schemas, error_of, http_client, investigate, text_of
from tests.plugins.mcp import McpHttp

pytestmark = pytest.mark.slow


def test_every_read_tool_on_the_dbt_world_over_stdio(
    dbt_lite_copy: Path, stdio_server: Callable[..., StdioServerParameters]
) -> None:
    async def session() -> None:
        async with Client(stdio_server(dbt_lite_copy)) as client:
            await check_schemas(client, READ_TOOLS)
            found, progress = await investigate(client, text="MRR report is wrong")
            assert found["verdict"] == "root_cause_found" and progress
            assert node_name(found["symptom"]["urn"]) == "fct_mrr"
            (origin,) = found["origins"]
            assert node_name(origin["dataset_urn"]) == "stg_subscriptions"
            hops = [h["urn"] for h in origin["lineage_path"]]
            assert hops[0] == found["symptom"]["urn"] and hops[-1] == origin["dataset_urn"]
            assert any("relationships" in c["native_type"] for c in origin["failing_checks"])

            run_id = found["run_id"]
            assert (await call(client, "get_run", run_id=run_id))["origins"] == found["origins"]
            assert (await call(client, "list_runs", limit=1))["runs"][0]["run_id"] == run_id
            postmortem = text_of(await client.call_tool("get_postmortem", {"run_id": run_id}))
            assert postmortem.startswith("#") and "stg_subscriptions" in postmortem

            diff = await call(client, "diff_assertions", urn=origin["dataset_urn"])
            assert {e["baseline_kind"] for e in diff["entries"]} == {"history"}  # no clean twin: history
            assert diff["counts"]["regression"] >= 1
            blast = await call(client, "get_blast_radius", urn=origin["dataset_urn"])
            assert "fct_mrr" in {node_name(e["urn"]) for e in blast["entries"]}
            path = await call(
                client, "get_lineage_path", from_urn=found["symptom"]["urn"], to_urn=origin["dataset_urn"]
            )
            assert path["direction"] == "upstream" and [h["urn"] for h in path["path"]] == hops
            assert (await call(client, "list_incidents"))["total"] == 0  # a dry run opens none
            assert "no incident" in await error_of(client, "get_incident", urn="urn:li:incident:nope")

    anyio.run(session)


def test_the_watcher_s_dbt_incidents_through_the_tools_over_http(
    dbt_lite_copy: Path, mcp_http: Callable[..., McpHttp]
) -> None:
    config = load_config(dbt_lite_copy, environ={})
    watch_once(config)  # the failing dbt run opens one incident per planted fault
    opened = {node_name(i.origin): i.urn for i in list_incidents(config)}
    assert len(opened) == 4
    server = mcp_http(dbt_lite_copy, allow_writes=True)

    async def session() -> None:
        async with http_client(server.url) as client:
            listed = await call(client, "list_incidents")
            assert {i["urn"] for i in listed["incidents"]} == set(opened.values())
            subscriptions = opened["stg_subscriptions"]
            one = await call(client, "get_incident", urn=subscriptions)
            assert one["source_type"] == "ASSERTION_FAILURE" and one["state"] == "ACTIVE"
            assert node_name(one["entities"][0]) == "stg_subscriptions"

            acked = await call(client, "acknowledge_incident", urn=subscriptions, by="dana")
            assert acked["opened_by"] == "watcher" and acked["stage"] == "INVESTIGATION"
            assert acked["watcher_resolves_it"] and len(acked["failing_checks"]) == 1
            done = await call(
                client, "resolve_incident", urn=opened["stg_payments"], stage="NO_ACTION_REQUIRED"
            )
            assert (done["state"], done["stage"]) == ("RESOLVED", "NO_ACTION_REQUIRED")

            # A run on the same origin finds the watcher's open incident (one stable URN per origin).
            found, _ = await investigate(client, text="MRR report is wrong", dry_run=False)
            (write,) = [w for w in found["writes"] if w["aspect"] == "incidentInfo"]
            assert write["urn"] == subscriptions and write["action"] != "create"
            active = await call(client, "list_incidents", state="ACTIVE")
            assert {i["urn"] for i in active["incidents"]} == set(opened.values()) - {opened["stg_payments"]}

            # reset undoes what datahub-oncall wrote, the watcher's incidents included (they are in the
            # ledger and carry our actor): every open one resolves; the one a person resolved is left.
            undone = await call(client, "reset")
            assert undone["all_verified"]
            resolved = {w["urn"] for w in undone["writes"] if w["action"] == "resolve"}
            assert resolved == set(opened.values()) - {opened["stg_payments"]}
            assert (await call(client, "list_incidents", state="ACTIVE"))["total"] == 0
            payments = await call(client, "get_incident", urn=opened["stg_payments"])
            assert payments["stage"] == "NO_ACTION_REQUIRED"  # the person's resolution stands

    anyio.run(session)
    tracked = {i.urn: i for i in list_incidents(config)}
    assert tracked[opened["stg_subscriptions"]].acked_ms is not None
    assert tracked[opened["stg_payments"]].resolved_by == "urn:li:corpuser:mcp"
