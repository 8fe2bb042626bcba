"""Shared pytest fixtures of the MCP area (registered in tests/conftest.py).

- `mcp_home`: one copy of the seeded small world per session for the read-only tools (runs are dry,
  but they still land in its run history).
- `mcp_http(home_or_config, token=..., allow_writes=..., runner=..., host=...)`: the real streamable
  HTTP app (`oncall.mcp.http_app`) on uvicorn on a free port in a thread; `.url` is the endpoint.
- `stdio_server(home, *args)`: parameters that start `oncall mcp` as a real subprocess.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

import oncall
from oncall.config import Config, load_config

if TYPE_CHECKING:
    from mcp import StdioServerParameters

    from oncall.web.server import AppThread

SRC = Path(oncall.__file__).resolve().parents[1]


class McpHttp:
    """A running HTTP MCP server: `url` is its endpoint, `service` the tools' backend."""

    def __init__(self, thread: AppThread, url: str) -> None:
        self.thread = thread
        self.url = url


@pytest.fixture(scope="session")
def mcp_home(seeded_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("mcp") / "home"
    shutil.copytree(seeded_home, home)
    return home


@pytest.fixture
def mcp_http() -> Iterator[Callable[..., McpHttp]]:
    from oncall.mcp import MCP_PATH, http_app
    from oncall.web.server import AppThread

    threads: list[AppThread] = []

    def start(
        home: Path | Config,
        *,
        token: str | None = None,
        host: str = "127.0.0.1",
        allow_writes: bool | None = None,
        runner: Any = None,
    ) -> McpHttp:
        config = home if isinstance(home, Config) else load_config(home, environ={}, token=token)
        app = http_app(config, host=host, allow_writes=allow_writes, runner=runner)
        thread = AppThread(app, host=host).start()
        threads.append(thread)
        return McpHttp(thread, thread.url + MCP_PATH)

    yield start
    for thread in threads:
        thread.stop()


def stdio_params(home: Path, *args: str) -> StdioServerParameters:
    """`oncall mcp --home HOME ARGS` as a subprocess of this interpreter, importing this tree."""
    from mcp import StdioServerParameters

    return StdioServerParameters(
        command=sys.executable,
        args=["-c", "from oncall.cli import main; main()", "mcp", "--home", str(home), *args],
        env={"PYTHONPATH": str(SRC), "DATAHUB_TELEMETRY_ENABLED": "false"},
    )


@pytest.fixture
def stdio_server() -> Callable[..., StdioServerParameters]:
    return stdio_params
