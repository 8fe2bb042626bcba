"""Shared fixtures: a clean environment for every test and a temporary project home."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

    # What socket.connect accepts: an (host, port, ...) tuple, or an AF_UNIX path.
    _Address = tuple[Any, ...] | str | ReadableBuffer

# Each area owns its fixtures module; fixtures shared across areas live there (e.g. a small world).
pytest_plugins = [
    f"tests.plugins.{area}"
    for area in ("world", "dbt", "catalog", "quality", "llm", "agents", "report", "web", "mcp", "eval")
]

# Variables the product reads; a developer's shell must not leak into tests.
_ONCALL_ENV_PREFIXES = ("ONCALL_", "DATAHUB_", "SLACK_", "OPENAI_", "NEBIUS_")

SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Strip product settings from the environment; restored after the test."""
    for name in list(os.environ):
        if name.startswith(_ONCALL_ENV_PREFIXES):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATAHUB_TELEMETRY_ENABLED", "false")
    yield


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """An empty project home."""
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """`../shared` (read-only team material); tests that need it skip cleanly when it is absent."""
    if not SHARED.is_dir():
        pytest.skip(f"../shared is absent (looked in {SHARED}); this test reads the team's shared material")
    return SHARED


def _is_loopback(address: object) -> bool:
    if not isinstance(address, tuple):  # AF_UNIX path
        return True
    host = str(address[0])
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Tests talk only to loopback: any other connection is refused and fails the test.

    The refusal is an OSError (what code sees on a machine with no network); the failure at teardown
    makes a silent fallback visible too.
    """
    attempts: list[object] = []
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def guard(address: object) -> None:
        if not _is_loopback(address):
            attempts.append(address)
            raise ConnectionRefusedError(f"tests may only reach loopback, not {address!r}")

    def connect(self: socket.socket, address: _Address) -> None:
        guard(address)
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: _Address) -> int:
        guard(address)
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    yield
    assert not attempts, f"the test tried to reach beyond loopback: {attempts}"
