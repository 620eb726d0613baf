"""In real Chromium: a gear keeper stocks tents, a member sees what is free and reserves the
last ones, and an organizer fills a packing list whose weights draw as a doughnut."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import LiveServer, Problems

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
SCREENSHOTS = (Path("/tmp/tripbot-gear-item.png"), Path("/tmp/tripbot-gear-packing.png"))
CHART_DRAWN = """(id) => {
  const canvas = document.getElementById(id);
  const chart = window.Chart && Chart.getChart(canvas);
  return Boolean(chart) && canvas.width > 0 && chart.data.datasets[0].data.length > 0;
}"""


def _person(browser: Browser, problems: Problems, base_url: str) -> BrowserContext:
    context = browser.new_context(
        base_url=base_url, locale="es-ES", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(5000)
    return problems.watch(context)


def _register(page: Page, name: str, email: str) -> None:
    page.goto("/register")
    page.fill("#display_name", name)
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("#register-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/events$"))


def test_a_keeper_stocks_tents_and_a_member_reserves_the_last_ones(
    chromium: Browser, live_server: LiveServer, problems: Problems
) -> None:
    madrid_today = datetime.now(ZoneInfo("Europe/Madrid")).date()
    first, last = madrid_today + timedelta(days=2), madrid_today + timedelta(days=3)

    # Ana, the first account, is the administrator: she keeps the club's gear.
    ana = _person(chromium, problems, live_server.url).new_page()
    _register(ana, "Ana", "ana@club.example")
    ana.click("#main-nav a[href='/gear']")
    ana.click("#new-item")
    ana.fill("#name", "Tienda Vaude")
    ana.fill("#category", "Refugio")
    ana.fill("#weight_grams", "2300")
    ana.select_option("#tracking", "units")
    ana.fill("#units", "T1, T2, T3")
    ana.click("#item-form button[type=submit]")
    expect(ana.locator("#item-name")).to_have_text("Tienda Vaude")
    expect(ana.locator(".unit")).to_have_count(3)
    ana.wait_for_function(CHART_DRAWN, arg="availability-chart", timeout=10_000)

    # Bruno reserves two of the three for a weekend, then finds there is one left.
    bruno = _person(chromium, problems, live_server.url).new_page()
    _register(bruno, "Bruno", "bruno@club.example")
    bruno.goto("/gear")
    bruno.click("text=Tienda Vaude")
    bruno.fill("#start_date", first.isoformat())
    bruno.fill("#end_date", last.isoformat())
    bruno.fill("#quantity", "2")
    bruno.click("#reserve-form button[type=submit]")
    expect(bruno.locator(".flash-success")).to_contain_text("Tienda Vaude")
    expect(bruno.locator(".reservation[data-status=reserved]")).to_have_count(1)
    bruno.goto("/gear")
    row = bruno.locator(".gear-item", has=bruno.locator("text=Tienda Vaude"))
    assert row.get_attribute("data-free") == "1"
    expect(row.locator("td.heat-low")).to_have_count(2)

    bruno.click("text=Tienda Vaude")
    bruno.fill("#start_date", first.isoformat())
    bruno.fill("#end_date", last.isoformat())
    bruno.fill("#quantity", "2")
    bruno.click("#reserve-form button[type=submit]")
    expect(bruno.locator("#reserve-form .form-error")).to_contain_text("1")
    # The refused form comes back with its 422 status, which Chromium reports on the console.
    refused = [m for m in problems.messages if "status of 422" in m]
    assert len(refused) == 1, problems.messages
    problems.messages.remove(refused[0])
    bruno.wait_for_function(CHART_DRAWN, arg="availability-chart", timeout=10_000)
    bruno.screenshot(path=str(SCREENSHOTS[0]), full_page=True)

    # Ana organizes an outing: its packing list weighs what everyone carries.
    ana.goto("/events/new")
    ana.fill("#name", "Picos de Europa")
    ana.select_option("#kind", "excursion")
    ana.fill("#starts_at", f"{first.isoformat()}T08:00")
    ana.fill("#ends_at", f"{last.isoformat()}T18:00")
    ana.click("#event-form button[type=submit]")
    ana.click("#packing-list")
    ana.click(".entry-details summary")  # beyond its name, a line's details are folded away
    for name, category, qty, grams, flags in (
        ("Mochila 40 L", "Mochila", "1", "1200", ()),
        ("Calcetines", "Ropa", "2", "60", ("worn",)),
        ("Cena liofilizada", "Comida", "2", "150", ("consumable",)),
    ):
        ana.fill("#name", name)
        ana.fill("#category", category)
        ana.fill("#quantity", qty)
        ana.fill("#weight_grams", grams)
        for flag in flags:
            ana.check(f"#entry-form input[name={flag}]", force=True)
        ana.click("#entry-form button[type=submit]")
        expect(ana.locator("#packing-said")).to_contain_text(name)  # added in place
    expect(ana.locator("#total-weight")).to_have_text("1,62 kg")
    expect(ana.locator("#base-weight")).to_have_text("1,26 kg")
    ana.wait_for_function(CHART_DRAWN, arg="weight-chart", timeout=10_000)
    ana.screenshot(path=str(SCREENSHOTS[1]), full_page=True)

    assert problems.messages == []
