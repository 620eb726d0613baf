"""An organizer keeps a trip's money in real Chromium: a shared expense with two payers and an
uneven split, a sponsorship, the balances chart, one click to settle everyone up, and the report
with its budget-vs-actual bars and cash line."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import LiveServer, Problems
from tests.builders import PASSWORD, a_member, a_person, an_event

pytestmark = pytest.mark.browser

SCREENSHOT = Path("/tmp/tripbot-money.png")
CHART_DRAWN = """(id) => {
  const canvas = document.getElementById(id);
  return Boolean(window.Chart && canvas && Chart.getChart(canvas) && canvas.width > 0);
}"""


def _log_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/events$"))


def test_an_organizer_records_the_trip_money_and_settles_everyone_up(
    chromium: Browser, live_server: LiveServer, problems: Problems
) -> None:
    with httpx.Client(base_url=live_server.url) as http:
        ana = a_person(http, display_name="Ana")
        event = an_event(http, ana, name="Picos de Europa")
        bruno = a_member(http, event, ana)
        carla = a_member(http, event, ana)
        http.put(
            f"/api/v1/events/{event['id']}/ledger/budget",
            json={"lines": [{"kind": "expense", "category": "transporte", "planned": "150"}]},
            headers=ana.headers,
        ).raise_for_status()

    context = problems.watch(
        chromium.new_context(
            base_url=live_server.url, locale="es-ES", viewport={"width": 1280, "height": 900}
        )
    )
    context.set_default_timeout(5000)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    _log_in(page, ana.email)

    # From the event to its money, still empty.
    page.goto(f"/events/{event['id']}")
    page.click("#event-money")
    expect(page.locator("#no-entries")).to_be_visible()

    # A bus paid by Ana and Bruno, shared 1:2:1 by the three of them.
    page.click("#add-entry")
    expect(page.locator("#received_by-section, #receiver-section")).to_be_hidden()
    page.fill("#description", "Autobús a Poncebos")
    page.fill("#amount", "120,00")
    page.fill("#category", "transporte")
    page.check(f"#payer-section input[value='{bruno.id}']")
    page.fill(f"input[name=payer_amount_{ana.id}]", "80")
    page.fill(f"input[name=payer_amount_{bruno.id}]", "40")
    page.select_option("#split_method", "shares")
    for person, shares in ((ana, "1"), (bruno, "2"), (carla, "1")):
        page.fill(f"input[name=share_value_{person.id}]", shares)
    page.click("#entry-form button[type=submit]")
    expect(page.locator(".flash-success")).to_be_visible()

    # A sponsorship collected by Carla: the form shows who collected it, not who paid.
    page.click("#add-entry")
    page.select_option("#kind", "sponsorship")
    expect(page.locator("#payer-section")).to_be_hidden()
    expect(page.locator("#receiver-section")).to_be_visible()
    expect(page.locator("#split-section")).to_be_hidden()
    page.fill("#description", "Patrocinio de la tienda")
    page.fill("#amount", "60")
    page.check(f"#receiver-section input[value='{carla.id}']")
    page.click("#entry-form button[type=submit]")
    expect(page.locator(".flash-success")).to_be_visible()

    # Balances, drawn as a chart, add up to zero; settle-up suggests the fewest payments.
    expect(page.locator("#balances-total")).to_contain_text("0,00")
    page.wait_for_function(CHART_DRAWN, arg="balances-chart", timeout=10_000)
    row = page.locator(f".balance-row[data-user-id='{ana.id}']")
    expect(row).to_have_attribute("data-balance", "50.00")
    expect(page.locator(".transfer")).to_have_count(3)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    page.click("#settle-form button[type=submit]")
    expect(page.locator(".flash-success")).to_contain_text("todos están en paz")
    expect(page.locator("#no-transfers")).to_be_visible()
    for balance in page.locator(".balance-row").all():
        expect(balance).to_have_attribute("data-balance", "0.00")

    # The report draws budget against actual, and the cash over time.
    page.click("#tab-report")
    # Its net result is the event's own money, as the balances said: the sponsorship; the bus
    # was the members' cost, shown apart.
    expect(page.locator("#net-result")).to_contain_text("60,00")
    expect(page.locator("#net-result")).to_have_class("positive")
    expect(page.locator("#shared-costs")).to_contain_text("120,00")
    page.wait_for_function(CHART_DRAWN, arg="budget-chart", timeout=10_000)
    page.wait_for_function(CHART_DRAWN, arg="cash-chart", timeout=10_000)

    # The entry's page tells its story.
    page.click("#tab-money")
    page.click("text=Autobús a Poncebos")
    expect(page.locator("#split-table tr")).to_have_count(3)
    expect(page.locator("#history .revision")).to_have_count(1)

    assert problems.messages == []
