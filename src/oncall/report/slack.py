"""Slack: the message of a run (drafted always, posted only to a configured incoming webhook), and the
Web API client the incident lifecycle posts and updates its messages with (a bot token)."""

from __future__ import annotations

from typing import Any

import httpx

from oncall.report.models import RunResult
from oncall.report.postmortem import display_name

__all__ = ["SlackError", "SlackWebClient", "draft_slack", "post_slack"]

_ICON = {"root_cause_found": ":rotating_light:", "no_regression": ":white_check_mark:"}


def draft_slack(result: RunResult, *, summary: str | None = None) -> str:
    """A short mrkdwn message: verdict, origins with their failing checks, blast radius, next step."""
    names = result.names
    icon = _ICON.get(result.verdict, ":grey_question:")
    lines = [f"{icon} *Data incident*: \u201c{result.incident}\u201d", summary or result.summary]
    for rc in result.origins:
        checks = ", ".join(f"`{a.native_type}`" for a in rc.assertions)
        path = " \u2192 ".join(display_name(u, names) for u in rc.lineage_path)
        lines.append(f"\u2022 *{display_name(rc.dataset_urn, names)}*: {checks} \u2014 {path}")
    owners = sorted({o.rsplit(":", 1)[-1] for b in result.blast_radius for o in b.owners})
    if result.blast_radius:
        lines.append(
            f"Blast radius: {len(result.blast_radius)} entities; owners: {', '.join(owners) or 'none'}."
        )
    if result.origins and not result.dry_run:
        lines.append("Origins are tagged `quarantined` in DataHub, with an open incident each.")
    return "\n".join(line for line in lines if line)


def post_slack(webhook_url: str, text: str, *, timeout_s: float = 5.0) -> dict[str, Any]:
    """POST the message to a Slack incoming webhook; never raises (the run must finish regardless).

    Returns `{ok, status, error}` so the caller can record the outcome.
    """
    try:
        response = httpx.post(webhook_url, json={"text": text}, timeout=timeout_s)
    except httpx.HTTPError as exc:
        return {"ok": False, "status": None, "error": f"{type(exc).__name__}: {exc}"}
    ok = 200 <= response.status_code < 300
    return {"ok": ok, "status": response.status_code, "error": None if ok else response.text[:200]}


class SlackError(Exception):
    """A Slack Web API call failed; `retry` says whether trying again later can help."""

    def __init__(self, message: str, *, retry: bool) -> None:
        super().__init__(message)
        self.retry = retry


class SlackWebClient:
    """The Slack Web API with a bot token: `chat.postMessage`, `chat.update`, `conversations.history`.

    A message carries Slack message metadata (`event_type` + `event_payload`), so after a crash between
    posting and recording the `ts`, `find` recovers the message instead of posting it twice.
    """

    def __init__(
        self, token: str, channel: str, *, base_url: str = "https://slack.com/api", timeout_s: float = 5.0
    ) -> None:
        self.channel = channel
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=timeout_s)

    def _call(
        self, method: str, *, json: dict[str, Any] | None = None, form: dict[str, Any] | None = None
    ) -> Any:
        url = f"{self.base_url}/{method}"
        try:
            response = self._http.post(url, json=json, data=form)
        except httpx.HTTPError as exc:
            raise SlackError(f"Slack {method}: {type(exc).__name__}: {exc}", retry=True) from exc
        if response.status_code == 429:
            wait = response.headers.get("Retry-After", "?")
            raise SlackError(f"Slack {method}: rate limited (retry after {wait} s)", retry=True)
        if response.status_code >= 500:
            raise SlackError(f"Slack {method}: HTTP {response.status_code}", retry=True)
        try:
            body = response.json()
        except ValueError as exc:
            raise SlackError(f"Slack {method}: HTTP {response.status_code}, not JSON", retry=False) from exc
        if not body.get("ok"):
            error = str(body.get("error") or f"HTTP {response.status_code}")
            raise SlackError(f"Slack {method}: {error}", retry=error in ("ratelimited", "internal_error"))
        return body

    def post(self, text: str, *, metadata: dict[str, Any] | None = None) -> tuple[str, str]:
        """Post to the channel; returns (channel id, ts) of the new message."""
        payload: dict[str, Any] = {"channel": self.channel, "text": text, "unfurl_links": False}
        if metadata:
            payload["metadata"] = metadata
        body = self._call("chat.postMessage", json=payload)
        return str(body["channel"]), str(body["ts"])

    def update(self, channel: str, ts: str, text: str) -> None:
        """Replace the text of the message at `ts`."""
        self._call("chat.update", json={"channel": channel, "ts": ts, "text": text})

    def find(self, event_type: str, key: str, value: str, *, pages: int = 5) -> tuple[str, str] | None:
        """The newest message of ours whose metadata has `event_payload[key] == value`, if any."""
        cursor = ""
        for _ in range(pages):
            form = {"channel": self.channel, "limit": 200, "include_all_metadata": "true"}
            if cursor:
                form["cursor"] = cursor
            body = self._call("conversations.history", form=form)
            for msg in body.get("messages") or []:
                meta = msg.get("metadata") or {}
                if (
                    meta.get("event_type") == event_type
                    and (meta.get("event_payload") or {}).get(key) == value
                ):
                    return str(body.get("channel") or self.channel), str(msg["ts"])
            cursor = (body.get("response_metadata") or {}).get("next_cursor") or ""
            if not cursor:
                return None
        return None

    def close(self) -> None:
        self._http.close()
