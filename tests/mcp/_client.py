"""The SDK's real client against our server, and the walk through every tool both transports share."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp_types import CallToolResult, TextContent

from oncall.config import load_config
from oncall.untrusted import MAX_REQUEST_CHARS
from oncall.web.history import RunStore

READ_TOOLS = {
    "investigate_incident",
    "get_run",
    "list_runs",
    "get_postmortem",
    "diff_assertions",
    "get_blast_radius",
    "get_lineage_path",
    "list_incidents",
    "get_incident",
}
WRITE_TOOLS = {"reset", "acknowledge_incident", "resolve_incident"}
KIT_ORIGINS = {"olist_order_items", "olist_customers", "olist_products"}
"""The three bugs the kit fault spec plants (DESIGN.md 6b: all three are origins of the revenue dashboard)."""


@contextlib.asynccontextmanager
async def http_client(url: str, token: str | None = None) -> AsyncIterator[Client]:
    """A client session over streamable HTTP, with a bearer token when given."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30, read=120)) as http,
        Client(streamable_http_client(url, http_client=http)) as client,
    ):
        yield client


def text_of(result: CallToolResult) -> str:
    return "\n".join(c.text for c in result.content if isinstance(c, TextContent))


async def call(client: Client, tool: str, **arguments: Any) -> dict[str, Any]:
    """Call a tool that must succeed; its structured content."""
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, f"{tool}({arguments}) failed: {text_of(result)}"
    assert result.structured_content is not None, f"{tool} returned no structured content"
    return result.structured_content


async def error_of(client: Client, tool: str, **arguments: Any) -> str:
    """Call a tool that must fail as an MCP tool error; its message."""
    result = await client.call_tool(tool, arguments)
    assert result.is_error, f"{tool}({arguments}) should have failed, got {result.structured_content}"
    return text_of(result)


async def investigate(client: Client, **arguments: Any) -> tuple[dict[str, Any], list[tuple[float, str]]]:
    """investigate_incident with a progress callback: the result and the progress (seq, message) seen."""
    seen: list[tuple[float, str]] = []

    # The parameter names are the SDK's ProgressFnT protocol's: it may call them by keyword.
    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append((progress, message or ""))

    result = await client.call_tool("investigate_incident", arguments, progress_callback=on_progress)
    assert not result.is_error, text_of(result)
    assert result.structured_content is not None
    return result.structured_content, seen


async def check_schemas(client: Client, expected: set[str]) -> None:
    """The tools listed are exactly `expected`, each with a described input schema and an output schema."""
    tools = {t.name: t for t in (await client.list_tools()).tools}
    assert set(tools) == expected
    for name, tool in tools.items():
        assert tool.description and len(tool.description) > 60, f"{name}: describe it for a model"
        assert tool.input_schema["type"] == "object"
        assert tool.output_schema is not None, f"{name} has no output schema"
    props = tools["investigate_incident"].input_schema["properties"]
    assert {"text", "urn", "baseline", "dry_run"} <= set(props)
    assert props["dry_run"]["default"] is True
    assert set(props["baseline"]["enum"]) == {"twin", "history", "auto"}
    out = tools["investigate_incident"].output_schema
    assert out is not None
    assert {"verdict", "origins", "blast_radius", "run_id", "hints"} <= set(out["properties"])


async def check_every_tool(client: Client, home: Path) -> str:
    """Walk the read tools on the seeded kit world the way a model would; returns the run id."""
    result, progress = await investigate(client, text="revenue dashboard wrong")
    assert result["verdict"] == "root_cause_found" and result["dry_run"] is True
    symptom = result["symptom"]
    assert symptom["type"] == "dashboard" and symptom["name"] == "Revenue"
    origins = {o["name"]: o for o in result["origins"]}
    assert set(origins) == KIT_ORIGINS
    for origin in origins.values():
        path = [hop["urn"] for hop in origin["lineage_path"]]
        assert path[0] == symptom["urn"] and path[-1] == origin["dataset_urn"]
        assert origin["failing_checks"] and all(c["status"] == "regression" for c in origin["failing_checks"])
    assert result["writes"] == [] and result["blast_radius_total"] >= len(result["blast_radius"]) > 0
    run_id = result["run_id"]

    # Progress notifications carry the run's events, in order, exactly those stored in the history.
    stored = RunStore(load_config(home, environ={}).runs_dir).events(run_id)
    assert [seq for seq, _ in progress] == [e.seq for e in stored]
    assert "run_started" in progress[0][1] and "run_finished" in progress[-1][1]
    assert any("tool_call" in message for _, message in progress)

    again = await call(client, "get_run", run_id=run_id)
    assert again["run_id"] == run_id and again["origins"] == result["origins"]
    runs = await call(client, "list_runs", limit=5)
    assert runs["runs"][0]["run_id"] == run_id and runs["total"] >= 1
    postmortem = await client.call_tool("get_postmortem", {"run_id": run_id})
    assert not postmortem.is_error
    markdown = text_of(postmortem)
    assert markdown.startswith("#") and all(name in markdown for name in KIT_ORIGINS)

    items = origins["olist_order_items"]
    diff = await call(client, "diff_assertions", urn=items["dataset_urn"])
    assert diff["dataset_urn"] == items["dataset_urn"] and diff["baseline"] == "auto"
    assert {e["baseline_kind"] for e in diff["entries"]} == {"twin"}  # the demo world has a clean twin
    history = await call(client, "diff_assertions", urn=items["dataset_urn"], baseline="history")
    assert {e["baseline_kind"] for e in history["entries"]} == {"history"}
    regressed = {e["native_type"] for e in diff["entries"] if e["status"] == "regression"}
    assert {c["native_type"] for c in items["failing_checks"]} <= regressed
    assert diff["counts"]["regression"] == len(regressed)

    blast = await call(client, "get_blast_radius", urn=items["dataset_urn"])
    assert symptom["urn"] in {e["urn"] for e in blast["entries"]}
    assert blast["total"] == sum(blast["counts"].values())

    lineage = await call(client, "get_lineage_path", from_urn=symptom["urn"], to_urn=items["dataset_urn"])
    assert lineage["direction"] == "upstream"
    assert [h["urn"] for h in lineage["path"]] == [h["urn"] for h in items["lineage_path"]]
    back = await call(client, "get_lineage_path", from_urn=items["dataset_urn"], to_urn=symptom["urn"])
    assert back["direction"] == "downstream" and back["hops"] == lineage["hops"]

    incidents = await call(client, "list_incidents")
    assert incidents["total"] == len(incidents["incidents"])  # a dry run opens none

    # A long report is bounded as on every door (the loop does it), and the result says so.
    words = " ".join(f"w{i}" for i in range(400))
    bounded, _ = await investigate(client, text=f"revenue dashboard wrong {words}")
    assert bounded["symptom"]["urn"] == symptom["urn"]
    assert any("dropped" in d for d in bounded["degraded"])

    by_urn, _ = await investigate(client, urn=items["dataset_urn"])
    assert by_urn["symptom"]["urn"] == items["dataset_urn"]

    resources = {str(r.uri) for r in (await client.list_resources()).resources}
    assert "oncall://postmortems/recent" in resources
    recent = await client.read_resource("oncall://postmortems/recent")
    assert run_id in json.dumps([c.model_dump() for c in recent.contents])
    one = await client.read_resource(f"oncall://postmortems/{run_id}")
    assert one.contents[0].text == markdown  # type: ignore[union-attr]

    prompts = {p.name for p in (await client.list_prompts()).prompts}
    assert "triage_dataset" in prompts
    prompt = await client.get_prompt("triage_dataset", {"urn": items["dataset_urn"]})
    assert "investigate_incident" in prompt.messages[0].content.text  # type: ignore[union-attr]
    return run_id


async def check_errors(client: Client) -> None:
    """Bad input comes back as MCP tool errors with a message that says what to do."""
    unknown = "urn:li:dataset:(urn:li:dataPlatform:sqlite,olist_dirty.nope,PROD)"
    message = await error_of(client, "get_blast_radius", urn=unknown)
    assert "not in the catalog" in message and "nope" in message
    assert "not in the catalog" in await error_of(client, "diff_assertions", urn=unknown)
    assert "not a DataHub URN" in await error_of(client, "get_lineage_path", from_urn="x", to_urn="y")
    assert "exactly one of `text`" in await error_of(client, "investigate_incident")
    assert "not in the catalog" in await error_of(client, "investigate_incident", urn=unknown)
    message = await error_of(client, "list_runs", limit=0)
    assert message.startswith("bad arguments for list_runs: limit: ") and "(got 0)" in message
    assert "pydantic" not in message
    assert "baseline" in await error_of(client, "investigate_incident", text="x", baseline="yesterday")
    huge = await error_of(client, "investigate_incident", text="x" * (MAX_REQUEST_CHARS + 1))
    assert huge.startswith("bad arguments for investigate_incident: text: ")
    assert len(huge) < 400  # the rejected value is not echoed back in full
    assert "no run" in await error_of(client, "get_run", run_id="20200101T000000Z-000000")
    assert "malformed" in await error_of(client, "get_postmortem", run_id="../../etc/passwd")
    assert "no incident" in await error_of(client, "get_incident", urn="urn:li:incident:nope")
