"""A loopback stand-in for the Slack Web API (no Slack can be reached here), held to its documented
contract for the three methods the lifecycle calls:

- `chat.postMessage` (JSON body: channel, text, optional metadata {event_type, event_payload}) ->
  `{"ok": true, "channel": "C...", "ts": "1700000000.000100", "message": {...}}`;
- `chat.update` (JSON: channel, ts, text) -> `{"ok": true, "channel", "ts", "text"}`, or
  `{"ok": false, "error": "message_not_found"}`;
- `conversations.history` (form-encoded: channel, limit, cursor, include_all_metadata) -> newest
  first, `metadata` only with include_all_metadata, paging via `response_metadata.next_cursor`.

Every call needs `Authorization: Bearer <token>` (`invalid_auth` / `not_authed` otherwise) and a
known channel (`channel_not_found`). Slack answers HTTP 200 with `ok: false` for API errors, and 429
with `Retry-After` when rate limited (`rate_limit_next` makes the next call do that).
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["SlackStandin"]


class SlackStandin:
    """Messages per channel, a log of calls; `url` is the API base (set it as slack_api_url)."""

    def __init__(self, *, token: str = "xoxb-test", channel: str = "C0INCIDENTS") -> None:
        self.token = token
        self.channel = channel
        self.messages: list[dict[str, Any]] = []
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.rate_limit_next = 0
        self.fail_next: str | None = None
        self._ts = 1700000000_000100
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/api"

    def __enter__(self) -> SlackStandin:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def posts(self) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["channel"] == self.channel]

    def call(
        self, method: str, args: dict[str, Any], auth: str | None
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        with self._lock:
            self.calls.append((method, args))
            if self.rate_limit_next:
                self.rate_limit_next -= 1
                return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"}
            if not auth:
                return 200, {"ok": False, "error": "not_authed"}, {}
            if auth != f"Bearer {self.token}":
                return 200, {"ok": False, "error": "invalid_auth"}, {}
            if self.fail_next:
                error, self.fail_next = self.fail_next, None
                return 200, {"ok": False, "error": error}, {}
            if args.get("channel") != self.channel:
                return 200, {"ok": False, "error": "channel_not_found"}, {}
            handler = {
                "chat.postMessage": self._post,
                "chat.update": self._update,
                "conversations.history": self._history,
            }.get(method)
            if handler is None:
                return 200, {"ok": False, "error": "unknown_method"}, {}
            return 200, handler(args), {}

    def _post(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("text"):
            return {"ok": False, "error": "no_text"}
        self._ts += 100
        ts = f"{self._ts // 1_000_000}.{self._ts % 1_000_000:06d}"
        msg = {"type": "message", "channel": args["channel"], "ts": ts, "text": args["text"]}
        if args.get("metadata"):
            msg["metadata"] = args["metadata"]
        self.messages.append(msg)
        return {
            "ok": True,
            "channel": args["channel"],
            "ts": ts,
            "message": {k: v for k, v in msg.items() if k != "channel"},
        }

    def _update(self, args: dict[str, Any]) -> dict[str, Any]:
        for msg in self.messages:
            if msg["channel"] == args["channel"] and msg["ts"] == args.get("ts"):
                msg["text"] = args.get("text", msg["text"])
                msg["edited"] = msg.get("edited", 0) + 1
                return {"ok": True, "channel": args["channel"], "ts": msg["ts"], "text": msg["text"]}
        return {"ok": False, "error": "message_not_found"}

    def _history(self, args: dict[str, Any]) -> dict[str, Any]:
        limit = int(args.get("limit") or 100)
        start = int(args.get("cursor") or 0)
        newest_first = [m for m in reversed(self.messages) if m["channel"] == args["channel"]]
        page = newest_first[start : start + limit]
        with_meta = str(args.get("include_all_metadata", "")).lower() == "true"
        out = [
            {k: v for k, v in m.items() if k != "channel" and (with_meta or k != "metadata")} for m in page
        ]
        more = start + limit < len(newest_first)
        return {
            "ok": True,
            "messages": out,
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:
                pass

            def do_POST(self) -> None:
                method = self.path.rsplit("/", 1)[-1]
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8")
                kind = self.headers.get("Content-Type", "")
                if kind.startswith("application/json"):
                    args = json.loads(raw or "{}")
                else:
                    args = {k: v[0] for k, v in urllib.parse.parse_qs(raw).items()}
                status, body, headers = standin.call(method, args, self.headers.get("Authorization"))
                data = json.dumps(body).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

        return Handler
