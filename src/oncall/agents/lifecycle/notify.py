"""Slack for the lifecycle: one message per opened incident, updated in place on every change.

Messages wait in the store's outbox, written in the same commit as the incident change they announce,
and are delivered after it. Delivery with a bot token (Web API) is exactly-once: a row is marked
`sending` before `chat.postMessage`; a row found `sending` after a crash is first looked up in the
channel by its message metadata (the incident URN), and posted only if absent. Updates rewrite the
whole text on the stored `ts`, so repeating one is harmless. An incoming webhook can only post: its
row is marked done before the post (at most once; it never doubles) and updates are not sent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from oncall.agents.lifecycle.store import Store, TrackedIncident
from oncall.config import Config
from oncall.report.postmortem import display_name
from oncall.report.slack import SlackError, SlackWebClient, post_slack

__all__ = ["EVENT_TYPE", "Notifier", "WebApiNotifier", "WebhookNotifier", "message_text", "notifier_for"]

EVENT_TYPE = "datahub_oncall_incident"
_PRIORITY = {0: "CRITICAL", 1: "HIGH", 2: "MEDIUM", 3: "LOW"}
_ICON = {"ACTIVE": ":rotating_light:", "RESOLVED": ":white_check_mark:"}
_SHOWN = 8


def _mention(owner: str, users: dict[str, str]) -> str:
    """`<@U123>` when the owner is mapped to a Slack user id (slack_users), else `@name`."""
    name = owner.rsplit(":", 1)[-1]
    slack_id = users.get(owner) or users.get(name)
    return f"<@{slack_id}>" if slack_id else f"@{name}"


def message_text(incident: TrackedIncident, users: dict[str, str] | None = None) -> str:
    """The mrkdwn text of an incident's message: state, origin, failing checks, owners, last change."""
    names = incident.names
    stage = f" / {incident.stage}" if incident.stage else ""
    lines = [
        f"{_ICON.get(incident.state, '')} *{incident.title}* \u2014 {incident.state}{stage} "
        f"(priority {_PRIORITY.get(incident.priority, incident.priority)})",
        f"Origin: *{display_name(incident.origin, names)}*",
    ]
    failing = incident.failing()
    shown = ", ".join(f"`{a.native_type}` on {display_name(a.dataset_urn, names)}" for a in failing[:_SHOWN])
    more = f" and {len(failing) - _SHOWN} more" if len(failing) > _SHOWN else ""
    if failing:
        lines.append(f"Failing ({len(failing)} of {len(incident.assertions)}): {shown}{more}")
    if incident.affected:
        lines.append(
            f"Blast radius: {len(incident.affected)} entities, {len(incident.dashboards)} dashboards"
        )
    owners = " ".join(_mention(o, users or {}) for o in incident.assignees)
    lines.append(f"Owners: {owners}" if owners else "Owners: none in DataHub (unassigned)")
    if incident.timeline:
        lines.append(f"_{incident.timeline[-1].message}_")
    lines.append(f"`{incident.urn}`")
    return "\n".join(line for line in lines if line)


class Notifier(Protocol):
    """Delivers the outbox; returns lines for the watcher's log."""

    def deliver(self, store: Store) -> list[str]: ...

    def close(self) -> None: ...


class WebApiNotifier:
    """Bot-token delivery: post once (found again by metadata after a crash), then update on the ts."""

    def __init__(self, client: SlackWebClient) -> None:
        self.client = client

    def deliver(self, store: Store) -> list[str]:
        log: list[str] = []
        pending = store.outbox()
        last_update = {row.incident_urn: row.id for row in pending if row.kind == "update"}
        for row in pending:
            incident = store.incident(row.incident_urn)
            if incident is None:
                store.mark(row.id, "done")
                continue
            try:
                if row.kind == "post":
                    log.append(self._post(store, row.id, row.status, incident, row.text))
                elif incident.slack_ts is None or last_update[row.incident_urn] != row.id:
                    store.mark(row.id, "done")  # nothing posted to update, or a later update supersedes it
                else:
                    channel = incident.slack_channel or self.client.channel
                    self.client.update(channel, incident.slack_ts, row.text)
                    store.mark(row.id, "done")
                    log.append(f"slack: updated the message of {incident.urn}")
            except SlackError as exc:
                log.append(f"slack: {exc}" + ("; will retry" if exc.retry else "; dropped"))
                if not exc.retry:
                    store.mark(row.id, "done")
                    continue
                break  # keep the order: later rows wait for this one
        return log

    def _post(self, store: Store, row_id: int, status: str, incident: TrackedIncident, text: str) -> str:
        if status == "sending":  # a crash after the post may have left it in the channel
            found = self.client.find(EVENT_TYPE, "incident_urn", incident.urn)
            if found is not None:
                incident.slack_channel, incident.slack_ts = found
                store.mark(row_id, "done", incident=incident)
                return f"slack: found the message of {incident.urn} posted before a restart"
        store.mark(row_id, "sending")
        meta = {"event_type": EVENT_TYPE, "event_payload": {"incident_urn": incident.urn}}
        incident.slack_channel, incident.slack_ts = self.client.post(text, metadata=meta)
        store.mark(row_id, "done", incident=incident)
        return f"slack: posted {incident.urn}"

    def close(self) -> None:
        self.client.close()


class WebhookNotifier:
    """Incoming-webhook delivery: posts only (no ts to update), each at most once."""

    def __init__(self, url: str, post: Callable[[str, str], dict[str, Any]] = post_slack) -> None:
        self.url = url
        self._post = post

    def deliver(self, store: Store) -> list[str]:
        log = []
        for row in store.outbox():
            store.mark(row.id, "done")  # before the post: a webhook cannot be asked what arrived
            if row.kind != "post":
                continue
            outcome = self._post(self.url, row.text)
            log.append(f"slack webhook: {'posted' if outcome['ok'] else outcome['error']} {row.incident_urn}")
        return log

    def close(self) -> None:
        return None


def notifier_for(config: Config) -> Notifier | None:
    """Web API when a bot token and channel are set, else the webhook when set, else none."""
    if config.slack_bot_token and config.slack_channel:
        client = SlackWebClient(config.slack_bot_token, config.slack_channel, base_url=config.slack_api_url)
        return WebApiNotifier(client)
    if config.slack_webhook_url:
        return WebhookNotifier(config.slack_webhook_url)
    return None
