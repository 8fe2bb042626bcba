"""`oncall mcp --http`: the real streamable HTTP app on uvicorn on loopback, driven by the SDK's client.

The console's rules hold (reused from web.security): loopback by default with a Host check, a token to
bind beyond it, and with a token every /mcp request must carry it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import anyio
import datahub.metadata.schema_classes as m
import httpx
import pytest
from datahub.emitter.mcp import MetadataChangeProposalWrapper

from oncall.catalog.lite import LiteCatalog
from oncall.config import load_config
from oncall.errors import ConfigError
from oncall.mcp import http_app
from oncall.web.history import RunStore
from tests.mcp._client import (
    READ_TOOLS,
    WRITE_TOOLS,
    call,
    check_errors,
    check_every_tool,
    check_schemas,
    error_of,
    http_client,
    investigate,
)
from tests.plugins.mcp import McpHttp
from tests.plugins.web import Gate


def test_every_tool_over_http(mcp_home: Path, mcp_http: Callable[..., McpHttp]) -> None:
    server = mcp_http(mcp_home)

    async def session() -> None:
        async with http_client(server.url) as client:
            await check_schemas(client, READ_TOOLS)
            await check_every_tool(client, mcp_home)
            await check_errors(client)

    anyio.run(session)


def test_no_catalog_is_a_tool_error(home: Path, mcp_http: Callable[..., McpHttp]) -> None:
    server = mcp_http(home)

    async def session() -> list[str]:
        async with http_client(server.url) as client:
            return [
                await error_of(client, "get_blast_radius", urn="urn:li:dataset:x"),
                await error_of(client, "investigate_incident", text="revenue dashboard wrong"),
            ]

    for message in anyio.run(session):
        assert "no DataHub Lite catalog" in message and "oncall setup" in message


def test_write_gate(seeded_copy: Path, mcp_http: Callable[..., McpHttp]) -> None:
    closed, open_ = mcp_http(seeded_copy), mcp_http(seeded_copy, allow_writes=True)

    async def session() -> None:
        async with http_client(closed.url) as client:
            await check_schemas(client, READ_TOOLS)  # no write tool is even listed
            message = await error_of(
                client, "investigate_incident", text="revenue dashboard wrong", dry_run=False
            )
            assert "writes are off" in message
            assert "reset" in await error_of(client, "reset")  # unknown tool
            assert "acknowledge_incident" in await error_of(
                client, "acknowledge_incident", urn="urn:li:incident:x"
            )
        async with http_client(open_.url) as client:
            await check_schemas(client, READ_TOOLS | WRITE_TOOLS)
            result, _ = await investigate(client, text="customers table lost rows", dry_run=False)
            assert result["writes"] and all(w["verified"] for w in result["writes"])
            (ours,) = [w["urn"] for w in result["writes"] if w["aspect"] == "incidentInfo"]
            acked = await call(client, "acknowledge_incident", urn=ours)
            assert acked["actor"] == "urn:li:corpuser:mcp" and acked["stage"] == "INVESTIGATION"
            assert "not an incident URN" in await error_of(client, "resolve_incident", urn="olist_customers")
            message = await error_of(client, "resolve_incident", urn="urn:li:incident:nope")
            assert "no incident" in message
            message = await error_of(client, "resolve_incident", urn=theirs)
            assert "not by datahub-oncall" in message and "urn:li:corpuser:bob" in message
            assert "stage" in await error_of(client, "resolve_incident", urn=ours, stage="DONE")

    theirs = "urn:li:incident:raised-by-a-person"
    with LiteCatalog(load_config(seeded_copy, environ={}).lite_path) as catalog:
        catalog.emit([_someone_s_incident(theirs, "urn:li:corpuser:bob")])
    anyio.run(session)
    with LiteCatalog(load_config(seeded_copy, environ={}).lite_path, read_only=True) as catalog:
        info = catalog.get_aspect(theirs, m.IncidentInfoClass)
    assert info is not None and info.status.state == "ACTIVE"  # refused: never touched


def _someone_s_incident(urn: str, actor: str) -> MetadataChangeProposalWrapper:
    stamp = m.AuditStampClass(time=1000, actor=actor)
    info = m.IncidentInfoClass(
        type=m.IncidentTypeClass.OPERATIONAL,
        entities=["urn:li:dataset:(urn:li:dataPlatform:sqlite,olist_dirty.main.olist_customers,PROD)"],
        status=m.IncidentStatusClass(state=m.IncidentStateClass.ACTIVE, lastUpdated=stamp),
        created=stamp,
        title="customers look odd",
    )
    return MetadataChangeProposalWrapper(entityUrn=urn, aspect=info)


def test_the_setting_allows_writes(seeded_copy: Path, mcp_http: Callable[..., McpHttp]) -> None:
    (seeded_copy / "config.yaml").write_text("mcp_allow_writes: true\n")
    server = mcp_http(load_config(seeded_copy, environ={}))

    async def session() -> None:
        async with http_client(server.url) as client:
            await check_schemas(client, READ_TOOLS | WRITE_TOOLS)

    anyio.run(session)


def test_token_is_required_beyond_loopback(mcp_home: Path, mcp_http: Callable[..., McpHttp]) -> None:
    with pytest.raises(ConfigError, match="exposes the MCP server beyond this machine"):
        http_app(load_config(mcp_home, environ={}), host="0.0.0.0")
    server = mcp_http(mcp_home, token="s3cret")
    initialize = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    headers = {"accept": "application/json, text/event-stream"}
    refused = httpx.post(server.url, json=initialize, headers=headers)
    assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
    wrong = httpx.post(server.url, json=initialize, headers={**headers, "authorization": "Bearer nope"})
    assert wrong.status_code == 401
    rebound = httpx.post(server.url, json=initialize, headers={**headers, "host": "evil.example"})
    assert rebound.status_code == 400  # DNS rebinding: a loopback server answers loopback names only

    async def session() -> None:
        async with http_client(server.url, token="s3cret") as client:
            assert "list_runs" in {t.name for t in (await client.list_tools()).tools}

    anyio.run(session)


def test_two_clients_at_once(mcp_home: Path, mcp_http: Callable[..., McpHttp]) -> None:
    server = mcp_http(mcp_home)
    results: dict[str, tuple[dict, list]] = {}

    async def one(text: str) -> None:
        async with http_client(server.url) as client:
            results[text] = await investigate(client, text=text)

    async def both() -> None:
        async with anyio.create_task_group() as group:
            group.start_soon(one, "revenue dashboard wrong")
            group.start_soon(one, "customers table lost rows")

    anyio.run(both)
    store = RunStore(load_config(mcp_home, environ={}).runs_dir)
    revenue, customers = results["revenue dashboard wrong"], results["customers table lost rows"]
    assert revenue[0]["run_id"] != customers[0]["run_id"]
    assert revenue[0]["symptom"]["name"] == "Revenue"
    assert customers[0]["symptom"]["name"] == "olist_customers"
    for result, progress in (revenue, customers):  # each stream carries its own run's events only
        assert [seq for seq, _ in progress] == [e.seq for e in store.events(result["run_id"])]


def test_a_cancelled_call_leaves_the_run_to_finish(
    mcp_home: Path, mcp_http: Callable[..., McpHttp], gate: Gate
) -> None:
    server = mcp_http(mcp_home, runner=gate)

    async def session() -> tuple[str, list]:
        async with http_client(server.url) as client:
            before = {
                r["run_id"]
                for r in (await client.call_tool("list_runs", {"limit": 50})).structured_content["runs"]
            }
            with anyio.move_on_after(30) as scope:
                async with anyio.create_task_group() as group:
                    group.start_soon(
                        client.call_tool, "investigate_incident", {"text": "revenue dashboard wrong"}
                    )
                    while gate.waiting == 0:
                        await anyio.sleep(0.02)
                    group.cancel_scope.cancel()
            assert not scope.cancelled_caught, "the call never reached the runner"
            # The server still answers, and lists the held run as running.
            runs = (await client.call_tool("list_runs", {"limit": 50})).structured_content["runs"]
            new = [r for r in runs if r["run_id"] not in before]
            assert [r["status"] for r in new] == ["running"]
            gate.open()
            for _ in range(500):
                runs = (await client.call_tool("list_runs", {"limit": 50})).structured_content["runs"]
                row = next(r for r in runs if r["run_id"] == new[0]["run_id"])
                if row["status"] != "running":
                    return row["run_id"], row["origins"]
                await anyio.sleep(0.05)
            raise AssertionError("the run never finished")

    run_id, origins = anyio.run(session)
    assert len(origins) == 3
    result = RunStore(load_config(mcp_home, environ={}).runs_dir).load(run_id)
    assert result.verdict == "root_cause_found"
