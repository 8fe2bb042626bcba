"""How clients reach the MCP server: stdio (a client starts `oncall mcp`) or streamable HTTP.

Over HTTP the console's rules hold, from `web.security` rather than a copy: loopback by default (with
the Host check against DNS rebinding), cross-origin writes refused, and a bearer token required to bind
anywhere else; with a token every `/mcp` request must carry it.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable

from starlette.applications import Starlette
from starlette.types import ASGIApp

from oncall.config import Config
from oncall.mcp.server import build_server
from oncall.web.runs import Runner
from oncall.web.security import LOOPBACK_HOSTS, Guard, check_bind, is_loopback

__all__ = ["MCP_PATH", "http_app", "serve_http", "serve_stdio"]

MCP_PATH = "/mcp"


async def serve_stdio(config: Config, *, allow_writes: bool | None = None) -> None:
    """Serve one client on stdin/stdout until it closes them."""
    server, service = build_server(config, allow_writes=allow_writes)
    try:
        await server.run_stdio_async()
    finally:
        await service.close()


def http_app(
    config: Config, *, host: str = "127.0.0.1", allow_writes: bool | None = None, runner: Runner | None = None
) -> ASGIApp:
    """The streamable HTTP app at `/mcp`, behind the console's guard. Refuses a wide bind without token."""
    check_bind(host, config.token, service="the MCP server")
    server, service = build_server(config, allow_writes=allow_writes, runner=runner)
    inner: Starlette = server.streamable_http_app(streamable_http_path=MCP_PATH, host=host)
    session_lifespan = inner.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with session_lifespan(app):
            try:
                yield
            finally:
                await service.close()

    inner.router.lifespan_context = lifespan
    trusted = LOOPBACK_HOSTS if is_loopback(host) else None
    return Guard(inner, token=config.token, trusted_hosts=trusted, protected_prefix=MCP_PATH)


def serve_http(
    config: Config,
    *,
    host: str = "127.0.0.1",
    port: int = 8766,
    allow_writes: bool | None = None,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve streamable HTTP until interrupted; `on_ready` gets the endpoint URL (`.../mcp`)."""
    from oncall.web.server import serve_asgi

    app = http_app(config, host=host, allow_writes=allow_writes)
    serve_asgi(
        app, host=host, port=port, on_ready=(lambda url: on_ready(url + MCP_PATH)) if on_ready else None
    )
