"""Untrusted text stays text: the incident bound (one place for every door), control-character stripping
and Markdown escaping; then the bound end to end on the CLI and on a real console server."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from oncall.catalog.search import tokens
from oncall.untrusted import (
    MAX_INCIDENT_CHARS,
    MAX_WORD_CHARS,
    MAX_WORDS,
    bound_incident,
    md_escape,
    strip_controls,
)
from oncall.web.server import ServerThread
from tests.cli._helpers import invoke
from tests.web._sse import read_events

MANY_WORDS = "revenue dashboard " + " ".join(f"w{i}x" for i in range(400))
HUGE_WORD = "revenue dashboard wrong " + "z" * 100_000


def test_the_bound_keeps_the_first_words_and_says_what_it_dropped() -> None:
    many = bound_incident(MANY_WORDS)
    assert many.text.startswith("revenue dashboard w0x") and len(set(many.text.split())) == MAX_WORDS
    assert any("after the first" in note for note in many.dropped)
    huge = bound_incident(HUGE_WORD)
    assert huge.text == "revenue dashboard wrong"
    assert any(f"longer than {MAX_WORD_CHARS}" in note for note in huge.dropped)
    repeated = bound_incident("revenue " * 2000)
    assert len(repeated.text) <= MAX_INCIDENT_CHARS and repeated.dropped
    assert bound_incident("revenue dashboard wrong").dropped == []


def test_searches_bound_their_words_too() -> None:
    assert len(tokens(MANY_WORDS).words) <= MAX_WORDS
    assert tokens(HUGE_WORD).words == ("revenue",)


def test_strip_controls_removes_ansi_osc_and_c1_sequences() -> None:
    hostile = (
        "a\x1b[31mred\x1b[0m \x1b]8;;https://evil.example\x07link\x1b]8;;\x07 "
        "\x1b]0;title\x1b\\ \x9b2J c1\x9d0;t\x9c bell\x07 \u202eflip"
    )
    clean = strip_controls(hostile)
    assert clean == "ared link   c1 bell flip"
    assert strip_controls("two\nlines", keep_newlines=True) == "two\nlines"
    assert strip_controls("two\nlines") == "two lines"


def test_md_escape_keeps_links_and_images_as_text() -> None:
    from oncall.web.markdown import render_markdown

    html = render_markdown(
        md_escape("[x](https://evil.example) ![i](https://evil.example/p.png) <https://a.b>")
    )
    assert "<a " not in html and "<img" not in html
    assert "[x](https://evil.example)" in html


def test_cli_run_with_400_words_or_a_100kb_word_answers(seeded_copy: Path) -> None:
    for text in (MANY_WORDS, HUGE_WORD):
        outcome = invoke("run", text, "--dry-run", "--json", "--home", str(seeded_copy))
        assert outcome.code == 0, outcome.err[-2000:]
        result = json.loads(outcome.out)
        assert result["verdict"] == "root_cause_found"
        assert any(d.startswith("input: incident text dropped") for d in result["degraded"])
        assert len(result["incident"]) <= MAX_INCIDENT_CHARS


def test_api_run_with_400_words_finishes_and_says_what_it_dropped(console: ServerThread) -> None:
    with httpx.Client(base_url=console.url, timeout=60) as client:
        response = client.post("/api/runs", json={"incident": MANY_WORDS, "dry_run": True})
        assert response.status_code == 202, response.text
        run_id = response.json()["run_id"]
        events = read_events(client, run_id)
        result = client.get(f"/api/runs/{run_id}").json()
    assert result["verdict"] == "root_cause_found"
    assert any("after the first" in d for d in result["degraded"])
    notes = [e for e in events if e["kind"] == "message" and "incident text" in e["data"].get("text", "")]
    assert notes and notes[0]["agent"] == "system"


def test_markdown_in_the_report_stays_text_in_postmortem_html(console: ServerThread) -> None:
    text = "revenue dashboard wrong [x](https://evil.example) ![](https://evil.example/i.png) <https://e.vil>"
    with httpx.Client(base_url=console.url, timeout=60) as client:
        run_id = client.post("/api/runs", json={"incident": text, "dry_run": True}).json()["run_id"]
        read_events(client, run_id)
        html = client.get(f"/api/runs/{run_id}/postmortem.html").text
    assert "evil.example" in html  # shown, as typed
    assert "<a " not in html.split("evil.example")[0][-200:] and 'href="https://evil' not in html
    assert "<img" not in html and 'href="https://e.vil' not in html


def test_unlink_keeps_links_in_scope_and_drops_the_rest() -> None:
    from oncall.untrusted import unlink

    urn = "urn:li:dataset:(urn:li:dataPlatform:sqlite,prod.main.orders,PROD)"
    text = (
        f"[ok]({urn}) [bad](https://evil.example) <https://evil.example|open> <!channel> <@U1> "
        f"<https://dh.example/dataset/{urn}|orders> ![img](https://evil.example/i.png)"
    )
    assert unlink(text, {urn}) == (
        f"[ok]({urn}) bad open  <@U1> <https://dh.example/dataset/{urn}|orders> img"
    )
