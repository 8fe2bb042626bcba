"""`oncall mcp` over stdio: a real subprocess driven by the SDK's real client, as Claude Desktop does."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import anyio
from mcp import Client, StdioServerParameters

from oncall.config import load_config
from oncall.web.history import RunStore
from tests.mcp._client import READ_TOOLS, check_errors, check_every_tool, check_schemas, error_of


def test_every_tool_over_stdio(mcp_home: Path, stdio_server: Callable[..., StdioServerParameters]) -> None:
    async def session() -> str:
        async with Client(stdio_server(mcp_home)) as client:
            assert client.server_info is not None and client.server_info.name == "datahub-oncall"
            await check_schemas(client, READ_TOOLS)
            run_id = await check_every_tool(client, mcp_home)
            await check_errors(client)
            message = await error_of(client, "investigate_incident", text="revenue", dry_run=False)
            assert "writes are off" in message and "--allow-writes" in message
            return run_id

    run_id = anyio.run(session)
    # The run is in the same history the CLI and the console read.
    rows = {r.run_id: r for r in RunStore(load_config(mcp_home, environ={}).runs_dir).list()}
    assert rows[run_id].verdict == "root_cause_found" and rows[run_id].dry_run


def test_stdio_without_a_catalog_says_to_set_up(
    home: Path, stdio_server: Callable[..., StdioServerParameters]
) -> None:
    async def session() -> tuple[str, str]:
        async with Client(stdio_server(home)) as client:
            return (
                await error_of(client, "investigate_incident", text="revenue dashboard wrong"),
                await error_of(client, "list_incidents"),
            )

    for message in anyio.run(session):
        assert "no DataHub Lite catalog" in message and "oncall setup" in message
    assert not (home / "runs").exists() or not list((home / "runs").iterdir())
