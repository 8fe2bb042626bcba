"""Shared pytest fixtures of the web area (registered in tests/conftest.py).

- `serve_console(home, **app_kwargs)`: the real console app on a real uvicorn server on a free loopback
  port in a thread, stopped at teardown. The run function defaults to the real `run_incident`.
- `console`: that server on a private copy of the seeded small world, with a short SSE heartbeat.
- `gate`: a runner that holds the real `run_incident` until the test releases it, so a test can be sure
  a stream is open (or several runs overlap) before any event exists.
- `browser` / `page`: Playwright driving Debian's Chromium (never a downloaded browser); skipped
  cleanly when /usr/bin/chromium is absent. `--console-screenshot PATH` keeps a screenshot of the
  finished run from the browser test (how docs/console.png is made).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from oncall.config import Config, load_config

if TYPE_CHECKING:
    from oncall.report.models import RunResult
    from oncall.web.server import ServerThread

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TEST_PING_S = 0.2


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--console-screenshot",
        default=None,
        metavar="PATH",
        help="save a screenshot of the finished console run (browser test) to PATH, e.g. docs/console.png",
    )


class Gate:
    """Holds runs at the door: the real `run_incident` starts only after `open()`."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.waiting = 0
        self._lock = threading.Lock()

    def open(self) -> None:
        self._event.set()

    async def __call__(self, incident: str, **kwargs: Any) -> RunResult:
        import asyncio

        from oncall.agents import run_incident

        with self._lock:
            self.waiting += 1
        await asyncio.to_thread(self._event.wait, 60)
        return await run_incident(incident, **kwargs)


@pytest.fixture
def serve_console() -> Iterator[Callable[..., ServerThread]]:
    """Start consoles on free loopback ports: `serve_console(home or config, token=..., **app_kwargs)`."""
    from oncall.web.server import ServerThread

    servers: list[ServerThread] = []

    def start(home: Path | Config, *, token: str | None = None, **app_kwargs: Any) -> ServerThread:
        config = home if isinstance(home, Config) else load_config(home, environ={}, token=token)
        app_kwargs.setdefault("ping_s", TEST_PING_S)
        server = ServerThread(config, **app_kwargs).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def console(seeded_copy: Path, serve_console: Callable[..., ServerThread]) -> ServerThread:
    """The console on a private seeded world, running the real incident loop."""
    return serve_console(seeded_copy)


@pytest.fixture
def gate() -> Gate:
    return Gate()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium under Playwright (no `playwright install`: the system browser only).

    Per module, not per session: Playwright's sync API keeps an event loop current in the main thread
    while it runs, so every asyncio test after it failed ("Runner.run() cannot be called from a running
    event loop": `pytest tests/web tests/mcp` did)."""
    if not CHROMIUM.exists():
        pytest.skip(
            f"{CHROMIUM} is absent: install Debian's chromium (apt-get install chromium) for browser tests"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser page (1600x1000) that fails the test on any uncaught page error."""
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.page_errors = errors
    yield tab
    context.close()
    assert not errors, f"uncaught errors in the page: {errors}"
