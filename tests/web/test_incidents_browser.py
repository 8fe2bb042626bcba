"""The incidents page in a real browser (Playwright on Debian's Chromium): list, acknowledge, resolve."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from oncall.agents.writeback import incident_urn
from oncall.web.server import ServerThread
from tests.agents._lifecycle import CUSTOMERS, ITEMS, PRODUCTS, config_of, incident_info, watch_once

pytestmark = pytest.mark.browser


def test_a_person_acknowledges_and_resolves_from_the_console(
    seeded_copy: Path, console: ServerThread, page: Any
) -> None:
    config = config_of(seeded_copy)
    with ThreadPoolExecutor(1) as pool:  # Playwright's sync API holds this thread's event loop
        pool.submit(watch_once, config).result()
    page.goto(console.url + "/")
    page.click("a[href='/incidents']")
    page.wait_for_selector(".incident-card")
    cards = page.locator(".incident-card")
    assert cards.count() == 3
    titles = cards.locator("h2").all_inner_texts()
    assert any(t.startswith("olist_order_items") for t in titles)
    items = page.locator(f".incident-card[data-urn='{incident_urn(ITEMS, 0)}']")
    assert items.locator(".assertions li").count() >= 3 and "logistics_team" in items.inner_text()
    customers = page.locator(f".incident-card[data-urn='{incident_urn(CUSTOMERS, 0)}']")
    assert "olist_orders → olist_customers" in customers.locator(".paths").inner_text()  # via the FK check
    items.locator("input.by").fill("alice")
    items.locator("input.note").fill("looking at the seller feed")
    items.locator("button.ack").click()
    page.wait_for_selector(
        f".incident-card[data-urn='{incident_urn(ITEMS, 0)}'] .timeline li:has-text('Acknowledged by alice')"
    )
    assert incident_info(config, incident_urn(ITEMS, 0)).status.stage == "INVESTIGATION"
    products = page.locator(f".incident-card[data-urn='{incident_urn(PRODUCTS, 0)}']")
    products.locator("button.resolve").click()
    page.wait_for_selector(f".incident-card[data-urn='{incident_urn(PRODUCTS, 0)}']", state="detached")
    assert page.locator(".incident-card").count() == 2
    assert incident_info(config, incident_urn(PRODUCTS, 0)).status.state == "RESOLVED"
    page.check("#show-resolved")
    page.wait_for_selector(".incident-card.state-resolved")
    assert "1 open" not in page.inner_text("#incident-stats") and "2 open of 3" in page.inner_text(
        "#incident-stats"
    )
