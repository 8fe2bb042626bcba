"""End to end in a real browser: Playwright driving Debian's Chromium against the real server and loop."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from oncall.web.server import ServerThread

pytestmark = pytest.mark.browser

KIT_ORIGINS = ["olist_customers", "olist_order_items", "olist_products"]
LANES = ["coordinator", "detective", "reality_checker", "fixer"]
XSS = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2"> revenue dashboard wrong'


def run_in_page(page: Any, url: str, incident: str, *, dry_run: bool = False) -> None:
    page.goto(url + "/")
    page.wait_for_selector("body[data-ready=true]")
    assert page.input_value("#incident") == "revenue dashboard wrong", "pre-filled with the demo incident"
    page.fill("#incident", "")
    page.type("#incident", incident)
    if dry_run:
        page.check("#dry-run")
    page.click("#run-button")
    page.wait_for_selector("#postmortem .markdown h1, #postmortem .markdown h2", timeout=60_000)


def test_run_watch_the_four_agents_and_open_an_origin(
    console: ServerThread, page: Any, pytestconfig: pytest.Config
) -> None:
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    run_in_page(page, console.url, "revenue dashboard wrong")

    for role in LANES:
        lane = page.locator(f"#lane-{role}")
        assert lane.get_attribute("data-status") == "done", f"{role} finished"
        assert lane.locator(".lane-log .item").count() >= 2, f"{role} pane filled"
    assert page.locator("#lane-detective .tool-call .query code").count() >= 1, "queries are shown"
    assert page.locator("#lane-detective .query code span[class^=tok-]").count() > 0, "and highlighted"
    assert page.locator("#lane-fixer .item.write").count() >= 1

    cards = page.locator("#causes > .cause-grid > .cause-card")  # origins (others sit in <details>)
    assert sorted(cards.locator(".cause-name").all_inner_texts()) == KIT_ORIGINS
    for i in range(cards.count()):
        card = cards.nth(i)
        chain = card.locator(".chain-node")
        assert chain.count() >= 3
        assert chain.first.locator(".chain-type").inner_text().lower() == "dashboard"
        assert chain.last.locator(".chain-name").inner_text() == card.locator(".cause-name").inner_text()
        assert card.locator("table.checks tbody tr").count() >= 1
    assert page.locator("#diff tr.status-regression").count() >= 3
    assert page.locator("#blast tbody tr").count() >= 3
    assert page.locator("#blast .owner").count() >= 1
    assert "Revenue" in page.inner_text("#postmortem .markdown")
    assert page.inner_text("#stat-elapsed") != "–"
    assert page.inner_text("#stat-verdict") == "root cause found"
    assert page.locator("#history-list .run-row.active").count() == 1

    screenshot = pytestconfig.getoption("--console-screenshot")
    if screenshot:
        page.set_viewport_size({"width": 1600, "height": 1250})
        page.evaluate("window.scrollTo(0, 0)")
        # Show each pane from its start (plan, first queries) rather than where the live view left it.
        page.evaluate("document.querySelectorAll('.lane-log').forEach((log) => { log.scrollTop = 0; })")
        page.screenshot(path=str(Path(screenshot)))

    # The origin's link opens the embedded entity page with the incident the Fixer just wrote.
    cards.filter(has_text="olist_customers").locator("a.cause-name").click()
    page.wait_for_selector("body[data-ready=true]")
    assert page.url.startswith(console.url + "/entity?urn=")
    banner = page.locator(".incident-banner")
    assert banner.count() == 1
    assert banner.inner_text().startswith("Active incident:")
    assert page.locator("#assertions .pill.fail").count() >= 1
    assert requests and all(url.startswith(console.url) for url in requests), "works offline: no CDN"
    assert page.locator(".neighbours li a", has_text="v_order_details").count() == 1, "its downstream view"


def test_replay_a_past_run_from_history(console: ServerThread, page: Any) -> None:
    run_in_page(page, console.url, "customers table lost rows", dry_run=True)
    run_in_page(page, console.url, "revenue dashboard wrong", dry_run=True)
    page.goto(console.url + "/")
    page.wait_for_selector("#history-list .run-row")
    rows = page.locator("#history-list .run-row")
    assert rows.count() == 2
    assert rows.first.locator(".run-incident").inner_text() == "revenue dashboard wrong", "newest first"
    rows.nth(1).locator("button").click()
    page.wait_for_selector("#postmortem .markdown h1, #postmortem .markdown h2", timeout=60_000)
    assert page.inner_text("#run-title") == "customers table lost rows"
    assert "olist_customers" in page.locator("#causes").inner_text()
    assert all(page.locator(f"#lane-{role}").get_attribute("data-status") == "done" for role in LANES)
    assert "run=" in page.url, "a replay has its own address"


def test_incident_text_with_markup_stays_inert(console: ServerThread, page: Any) -> None:
    run_in_page(page, console.url, XSS, dry_run=True)
    page.wait_for_selector("#history-list .run-row")
    assert page.evaluate("window.__xss") is None, "nothing from the incident text executed"
    assert "<script>window.__xss=1</script>" in page.inner_text("#run-title"), "shown as text"
    assert "<script>" in page.inner_text("#history-list"), "shown as text in the history too"
    # No element came out of the data: every <img>/<script> in the page is ours (there are none in <main>).
    assert page.locator("main img, main script, aside img, aside script").count() == 0
    assert "<script>" in page.inner_text("#postmortem .markdown"), "the postmortem shows it as text"
    page.reload()
    page.wait_for_selector("#postmortem .markdown h1, #postmortem .markdown h2", timeout=60_000)
    assert page.evaluate("window.__xss") is None


def test_token_from_the_address_bar(seeded_copy: Path, serve_console: Any, page: Any) -> None:
    server = serve_console(seeded_copy, token="tok-123")
    page.goto(server.url + "/?token=tok-123")
    page.wait_for_selector("body[data-ready=true]")
    assert "token" not in page.url, "the token leaves the address bar (and history)"
    assert page.locator("#alert").is_hidden(), "API calls were authorised"
    page.click("#run-button")
    page.wait_for_selector("#causes .cause-card", timeout=60_000)


def test_highlighter_tokens(console: ServerThread, page: Any) -> None:
    page.goto(console.url + "/")
    page.wait_for_selector("body[data-ready=true]")
    kinds = page.evaluate(
        """async () => {
          const { tokenize } = await import('/static/js/highlight.js');
          const pick = (code, lang) =>
            tokenize(code, lang).filter(t => t.type !== 'space').map(t => [t.type, t.text]);
          return {
            sql: pick("SELECT urn FROM t WHERE x = 'a''b' AND n > 2 -- note", 'sql'),
            gql: pick('query Q($urn: String!) { dataset(urn: $urn) { name } } # c', 'graphql'),
          };
        }"""
    )
    assert ["keyword", "SELECT"] in kinds["sql"] and ["string", "'a''b'"] in kinds["sql"]
    assert ["number", "2"] in kinds["sql"] and ["comment", "-- note"] in kinds["sql"]
    assert ["keyword", "query"] in kinds["gql"] and ["variable", "$urn"] in kinds["gql"]
    assert ["type", "String"] in kinds["gql"] and ["comment", "# c"] in kinds["gql"]
    assert "".join(t for _, t in kinds["sql"]).replace(" ", "") == "SELECTurnFROMtWHEREx='a''b'ANDn>2--note"


def test_models_stream_their_thinking_into_the_panes(
    openai_standin: Any, seeded_copy: Path, serve_console: Any, page: Any
) -> None:
    from oncall.world.urns import dashboard_urn
    from tests.llm.openai_standin import Reply, ToolCall, answer
    from tests.plugins.llm import standin_config, standin_model

    config = standin_config(seeded_copy, openai_standin, price_in=1.0, price_out=2.0)
    synthesis = {
        "summary": "Revenue broke: olist_order_items, olist_products and olist_customers regressed.",
        "follow_ups": ["Fix the seller id truncation."],
    }
    openai_standin.script(
        [
            answer({"steps": ["find it", "diff it", "fix it"]}, reasoning="First the entity, then the diff."),
            answer(synthesis),
        ],
        model=standin_model("coordinator"),
    )
    openai_standin.script(
        [
            Reply(
                reasoning="Search the catalog for the dashboard.",
                tool_calls=[ToolCall("search_catalog", {"query": "revenue"})],
            ),
            answer(
                {
                    "urn": dashboard_urn("olist_dirty", "revenue"),
                    "reasons": ["the reporter says revenue dashboard"],
                }
            ),
        ],
        model=standin_model("detective"),
    )
    openai_standin.script(
        [answer({"text": "Eight checks regressed on three tables."})], model=standin_model("reality_checker")
    )
    openai_standin.script(
        [answer({"slack_message": "Revenue is broken.", "titles": {}})], model=standin_model("fixer")
    )

    server = serve_console(config)
    run_in_page(page, server.url, "revenue dashboard wrong", dry_run=True)
    thinking = page.locator("#lane-coordinator .item.thinking")
    assert "First the entity, then the diff." in thinking.first.inner_text()
    assert "Search the catalog for the dashboard." in page.inner_text("#lane-detective")
    assert page.locator("#lane-detective .tool-name", has_text="search_catalog").count() >= 1
    for role in LANES:
        assert page.inner_text(f"#lane-{role} .model") == standin_model(role)
    assert page.inner_text("#lane-reality_checker .lane-log").count("Eight checks regressed") >= 1
    tokens = page.inner_text("#stat-tokens")
    assert not tokens.startswith("0 in"), tokens
    assert page.inner_text("#stat-cost") != "$0.0000"


def test_offline_api_docs_page(console: ServerThread, page: Any) -> None:
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(console.url + "/docs")
    page.wait_for_selector("#docs .op")
    assert page.locator("#docs .op h2", has_text="/api/runs/{run_id}/events").count() == 1
    assert page.locator("#docs .op h2", has_text="ErrorBody").count() == 1
    assert all(url.startswith(console.url) for url in requests), "nothing loaded from the network"


def test_catalog_text_with_markup_stays_inert_on_the_entity_page(
    seeded_copy: Path, serve_console: Any, page: Any
) -> None:
    # Catalog content is untrusted too: anyone with edit rights in DataHub writes descriptions and links.
    import datahub.metadata.schema_classes as m
    from datahub.emitter.mcp import MetadataChangeProposalWrapper

    from oncall.catalog import open_catalog
    from oncall.config import load_config
    from oncall.world.urns import dataset_urn

    urn = dataset_urn("olist_dirty", "olist_customers")
    description = '<img src=x onerror="window.__xss=3"><script>window.__xss=4</script> customers'
    catalog = open_catalog(load_config(seeded_copy, environ={}))
    try:
        catalog.emit(
            [
                MetadataChangeProposalWrapper(
                    entityUrn=urn, aspect=m.EditableDatasetPropertiesClass(description=description)
                )
            ]
        )
        catalog.add_links(urn, [("javascript:window.__xss=5", "runbook")])
    finally:
        catalog.close()

    server = serve_console(seeded_copy)
    page.goto(f"{server.url}/entity?urn={quote(urn, safe='')}")
    page.wait_for_selector("body[data-ready=true]")
    assert page.inner_text(".description") == description, "shown as text"
    assert page.locator("main img, main script").count() == 0
    runbook = page.locator("main a", has_text="runbook")
    assert runbook.count() == 1 and runbook.get_attribute("href") is None, "a javascript: link gets no href"
    runbook.click()
    assert page.evaluate("window.__xss") is None
