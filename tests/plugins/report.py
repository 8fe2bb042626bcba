"""Shared pytest fixtures of the report area (registered in tests/conftest.py).

`slack_webhook` is a real HTTP server on loopback standing in for a Slack incoming webhook: it records
each JSON body it receives and answers with `status` (settable).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

__all__ = ["SlackHook", "slack_webhook"]


@dataclass
class SlackHook:
    """What the stand-in webhook received, and how it answers."""

    url: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200


def _handler(hook: SlackHook) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            hook.received.append(json.loads(body or b"{}"))
            self.send_response(hook.status)
            self.end_headers()
            self.wfile.write(b"ok" if hook.status < 300 else b"invalid_payload")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def slack_webhook() -> Iterator[SlackHook]:
    """A loopback Slack webhook: `.url`, `.received` (JSON bodies), `.status`."""
    hook = SlackHook()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(hook))
    hook.url = f"http://127.0.0.1:{server.server_address[1]}/services/T000/B000/XXXX"
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield hook
    finally:
        server.shutdown()
        server.server_close()
