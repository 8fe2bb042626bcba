"""Running the console: `serve` (blocking, for `oncall serve`) and `ServerThread` (tests, benches, demo).

Both bind the socket themselves before uvicorn starts, so port 0 gives a free port with no race and
the URL is known before the first request. `serve_asgi` and `AppThread` do the same for any ASGI app
(the MCP server's streamable HTTP transport).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from typing import Any

import uvicorn
from fastapi import FastAPI
from starlette.types import ASGIApp

from oncall.config import Config
from oncall.errors import ConfigError
from oncall.web.app import create_app
from oncall.web.security import LOOPBACK_HOSTS, check_bind, is_loopback

__all__ = ["AppThread", "ServerThread", "bind", "serve", "serve_asgi"]


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket; a clear message when the port is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY only on sockets that say they are TCP, and
    # without it every small response waits ~40 ms for a delayed ACK (Nagle).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigError(f"cannot listen on {host}:{port} ({exc.strerror}); pick another --port") from exc
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def _url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _uvicorn(app: ASGIApp) -> uvicorn.Server:
    return uvicorn.Server(
        uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=2, lifespan="on", access_log=False)
    )


def _app_for(config: Config, host: str, **app_kwargs: Any) -> FastAPI:
    check_bind(host, config.token)
    # Beyond loopback the token protects the API, and people reach the host under any name.
    trusted = LOOPBACK_HOSTS if is_loopback(host) else None
    return create_app(config, trusted_hosts=trusted, **app_kwargs)


def serve(
    config: Config,
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    on_ready: Callable[[str], None] | None = None,
    **app_kwargs: Any,
) -> None:
    """Serve the console until interrupted. Refuses a non-loopback host without a token."""
    serve_asgi(_app_for(config, host, **app_kwargs), host=host, port=port, on_ready=on_ready)


def serve_asgi(app: ASGIApp, *, host: str, port: int, on_ready: Callable[[str], None] | None = None) -> None:
    """Serve an ASGI app on uvicorn until interrupted, announcing its base URL once it listens."""
    sock = bind(host, port)
    if on_ready is not None:
        on_ready(_url(sock))
    _uvicorn(app).run(sockets=[sock])


class AppThread:
    """An ASGI app on a port in a background thread: `with AppThread(app) as s: s.url`."""

    app: ASGIApp

    def __init__(self, app: ASGIApp, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self._sock = bind(host, port)
        self.url = _url(self._sock)
        self._server = _uvicorn(app)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )

    def start(self) -> AppThread:
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the server failed to start; see the log above")
            self._thread.join(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)
        self._sock.close()

    def __enter__(self) -> AppThread:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


class ServerThread(AppThread):
    """The console on a loopback port in a background thread: `with ServerThread(config) as s: s.url`."""

    app: FastAPI

    def __init__(self, config: Config, *, host: str = "127.0.0.1", port: int = 0, **app_kwargs: Any) -> None:
        app = _app_for(config, host, **app_kwargs)
        super().__init__(app, host=host, port=port)

    def start(self) -> ServerThread:
        super().start()
        return self

    def __enter__(self) -> ServerThread:
        return self.start()
