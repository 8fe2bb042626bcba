"""Slack delivery of the lifecycle against a loopback server speaking the Slack Web API contract."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from oncall.agents.lifecycle.notify import EVENT_TYPE, WebApiNotifier, WebhookNotifier, message_text
from oncall.agents.lifecycle.store import FailingAssertion, Store, TimelineEntry, TrackedIncident
from oncall.report.slack import SlackError, SlackWebClient
from tests.report.slack_standin import SlackStandin

URN = "urn:li:incident:0c1f3e8a-0000-4000-8000-000000000001"
ORIGIN = "urn:li:dataset:(urn:li:dataPlatform:postgres,shop.public.orders,PROD)"


def _incident(**kw: object) -> TrackedIncident:
    base = TrackedIncident(
        urn=URN,
        origin=ORIGIN,
        origin_name="orders",
        title="orders: not_null_order_id failing",
        assignees=["urn:li:corpuser:alice", "urn:li:corpGroup:data_eng"],
        assertions=[
            FailingAssertion(
                urn="urn:li:assertion:a1", dataset_urn=ORIGIN, native_type="not_null", first_failed_ms=1
            )
        ],
        affected=["urn:li:dashboard:(looker,sales)"],
        dashboards=["urn:li:dashboard:(looker,sales)"],
        timeline=[
            TimelineEntry(ts_ms=1, state="ACTIVE", stage="TRIAGE", message="Opened: 1 failing", actor="x")
        ],
    )
    return base.model_copy(update=kw)


def test_client_speaks_post_update_and_history(tmp_path: Path) -> None:
    with SlackStandin() as slack:
        client = SlackWebClient(slack.token, slack.channel, base_url=slack.url)
        channel, ts = client.post(
            "hello", metadata={"event_type": EVENT_TYPE, "event_payload": {"incident_urn": URN}}
        )
        assert channel == slack.channel and ts
        client.update(channel, ts, "hello again")
        assert slack.posts()[0]["text"] == "hello again"
        assert client.find(EVENT_TYPE, "incident_urn", URN) == (slack.channel, ts)
        assert client.find(EVENT_TYPE, "incident_urn", "urn:li:incident:other") is None
        with pytest.raises(SlackError, match="message_not_found") as err:
            client.update(channel, "1.000", "x")
        assert not err.value.retry
        bad = SlackWebClient("xoxb-wrong", slack.channel, base_url=slack.url)
        with pytest.raises(SlackError, match="invalid_auth"):
            bad.post("x")
        slack.rate_limit_next = 1
        with pytest.raises(SlackError, match="rate limited") as err:
            client.post("x")
        assert err.value.retry
        client.close()


def test_one_message_per_incident_updated_in_place(tmp_path: Path) -> None:
    with SlackStandin() as slack, Store(tmp_path / "lifecycle.db") as store:
        notifier = WebApiNotifier(SlackWebClient(slack.token, slack.channel, base_url=slack.url))
        incident = _incident()
        store.commit(incidents=[incident], messages=[(URN, "post", message_text(incident))])
        notifier.deliver(store)
        resolved = store.incident(URN)
        assert resolved is not None and resolved.slack_ts
        resolved.state, resolved.stage = "RESOLVED", "FIXED"
        store.commit(
            incidents=[resolved],
            messages=[(URN, "update", "stale text"), (URN, "update", message_text(resolved))],
        )
        notifier.deliver(store)
        assert len(slack.posts()) == 1
        msg = slack.posts()[0]
        assert "RESOLVED / FIXED" in msg["text"] and msg["edited"] == 1  # the stale update was skipped
        assert msg["metadata"] == {"event_type": EVENT_TYPE, "event_payload": {"incident_urn": URN}}
        assert "@alice" in msg["text"] and "@data_eng" in msg["text"]
        assert not store.outbox()


def test_owners_are_mentioned_by_their_slack_id() -> None:
    text = message_text(_incident(), {"alice": "U0ALICE"})
    assert "<@U0ALICE>" in text and "@data_eng" in text
    assert "Owners: none in DataHub" in message_text(_incident(assignees=[]))


def test_a_crash_after_posting_does_not_post_twice(tmp_path: Path) -> None:
    with SlackStandin() as slack, Store(tmp_path / "lifecycle.db") as store:
        client = SlackWebClient(slack.token, slack.channel, base_url=slack.url)
        incident = _incident()
        store.commit(incidents=[incident], messages=[(URN, "post", message_text(incident))])
        row = store.outbox()[0]
        # The previous watcher marked the row, posted, and died before recording the ts.
        store.mark(row.id, "sending")
        client.post(row.text, metadata={"event_type": EVENT_TYPE, "event_payload": {"incident_urn": URN}})
        log = WebApiNotifier(client).deliver(store)
        assert len(slack.posts()) == 1 and "before a restart" in log[0]
        after = store.incident(URN)
        assert after is not None and after.slack_ts == slack.posts()[0]["ts"]


def test_a_failed_post_is_retried_in_order(tmp_path: Path) -> None:
    with SlackStandin() as slack, Store(tmp_path / "lifecycle.db") as store:
        notifier = WebApiNotifier(SlackWebClient(slack.token, slack.channel, base_url=slack.url))
        incident = _incident()
        store.commit(incidents=[incident], messages=[(URN, "post", "first"), (URN, "update", "second")])
        slack.rate_limit_next = 1
        log = notifier.deliver(store)
        assert "will retry" in log[0] and not slack.posts() and len(store.outbox()) == 2
        notifier.deliver(store)
        assert [p["text"] for p in slack.posts()] == ["second"] and not store.outbox()


def test_a_webhook_posts_once_and_never_updates(tmp_path: Path) -> None:
    sent: list[str] = []

    def post(_url: str, text: str) -> dict[str, Any]:
        sent.append(text)
        return {"ok": True}

    with Store(tmp_path / "lifecycle.db") as store:
        store.commit(incidents=[_incident()], messages=[(URN, "post", "opened"), (URN, "update", "resolved")])
        WebhookNotifier("http://127.0.0.1:9/hook", post=post).deliver(store)
        WebhookNotifier("http://127.0.0.1:9/hook", post=post).deliver(store)
    assert sent == ["opened"]
