"""`oncall mcp` as a command: its refusals and the HTTP server it starts."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import anyio
import pytest

from tests.cli._helpers import invoke
from tests.mcp._client import READ_TOOLS, http_client
from tests.plugins.mcp import stdio_params


def test_wide_bind_without_token_is_refused(home: Path) -> None:
    out = invoke("mcp", "--http", "--host", "0.0.0.0", "--home", str(home))
    assert out.code == 2
    assert "exposes the MCP server beyond this machine" in out.err and "--token" in out.err


def test_bad_setting_value_is_refused(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONCALL_MCP_ALLOW_WRITES", "perhaps")
    out = invoke("mcp", "--home", str(home))
    assert out.code == 2 and "ONCALL_MCP_ALLOW_WRITES='perhaps' is not a yes/no value" in out.err


def test_http_command_announces_its_endpoint(mcp_home: Path) -> None:
    params = stdio_params(mcp_home, "--http", "--port", "0")
    env = {**os.environ, **(params.env or {})}
    proc = subprocess.Popen([params.command, *params.args], stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        match = re.search(r"MCP endpoint: (http://127\.0\.0\.1:\d+/mcp)", line)
        assert match, line

        async def session() -> set[str]:
            async with http_client(match.group(1)) as client:
                return {t.name for t in (await client.list_tools()).tools}

        assert anyio.run(session) == READ_TOOLS
    finally:
        proc.terminate()
        proc.wait(10)
