"""In real Chromium on a 360 px phone, in Spanish and English: reserving a tent and two
helmets for an excursion from its page, the old way (one item at a time, dates typed) and in
one basket over the event's days; the actions of each are counted."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import LiveServer, Problems

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
WORDS = {
    "es-ES": {"entry": "Reservar material para este evento", "done": "Reservado del"},
    "en-US": {"entry": "Reserve gear for this event", "done": "Reserved from"},
}


@dataclass
class Counted:
    """A page whose clicks, field actions and page loads by hand are counted."""

    page: Page
    actions: list[str] = field(default_factory=list)

    def click(self, selector: str) -> None:
        self.actions.append(f"click {selector}")
        self.page.click(selector)

    def fill(self, selector: str, value: str) -> None:
        self.actions.append(f"fill {selector}")
        self.page.fill(selector, value)

    def select(self, selector: str, value: str) -> None:
        self.actions.append(f"select {selector}")
        self.page.select_option(selector, value)

    def check(self, selector: str) -> None:
        self.actions.append(f"tick {selector}")
        self.page.check(selector)

    def go(self, path: str) -> None:
        """The top bar's link (on a phone, behind its menu: counted as one)."""
        self.actions.append(f"go {path}")
        self.page.goto(path)


def _setup(page: Page, first: str, last: str) -> tuple[int, int, int]:
    """Ana (the administrator) stocks a tent and helmets and organizes an excursion."""
    page.goto("/register")
    page.fill("#display_name", "Ana")
    page.fill("#email", "ana@club.example")
    page.fill("#password", PASSWORD)
    page.click("#register-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/events$"))
    ids = []
    for name, tracking, amount in (("Tent", "units", "T1, T2"), ("Helmet", "quantity", "4")):
        page.goto("/gear/new")
        page.fill("#name", name)
        page.fill("#category", "Club")
        page.select_option("#tracking", tracking)
        page.fill("#units" if tracking == "units" else "#quantity", amount)
        page.click("#item-form button[type=submit]")
        ids.append(int(page.url.rstrip("/").rsplit("/", 1)[-1]))
    page.goto("/events/new")
    page.fill("#name", "Excursion")
    page.select_option("#kind", "excursion")
    page.fill("#starts_at", f"{first}T08:00")
    page.fill("#ends_at", f"{last}T18:00")
    page.click("#event-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/events/\d+$"))
    return ids[0], ids[1], int(page.url.rsplit("/", 1)[-1])


@pytest.mark.parametrize("locale", ["es-ES", "en-US"])
def test_a_tent_and_two_helmets_for_the_excursion_in_one_basket(
    chromium: Browser, live_server: LiveServer, problems: Problems, locale: str
) -> None:
    today = datetime.now(ZoneInfo("Europe/Madrid")).date()
    first, last = (today + timedelta(days=n) for n in (5, 6))
    context = chromium.new_context(
        base_url=live_server.url, locale=locale, viewport={"width": 360, "height": 740}
    )
    context.set_default_timeout(5000)
    page = problems.watch(context).new_page()
    tent, helmet, event = _setup(page, first.isoformat(), last.isoformat())

    # Before: one item at a time from the catalogue, the dates typed (they default to today).
    before = Counted(page)
    for item, quantity in ((tent, 1), (helmet, 2)):
        before.go("/gear")
        before.click(f".gear-item[data-item-id='{item}'] a")
        before.fill("#start_date", first.isoformat())
        before.fill("#end_date", last.isoformat())
        if quantity > 1:
            before.fill("#quantity", str(quantity))
        before.select("#event_id", str(event))
        before.click("#reserve-form button[type=submit]")
        expect(page.locator(".flash-success")).to_be_visible()

    # Someone else opens the basket too, and ticks the same before sending.
    other = context.new_page()
    other.goto(f"/gear/basket?event={event}")
    other.check(f"#pick-{tent}")
    other.check(f"#pick-{helmet}")
    other.fill(f"#quantity-{helmet}", "2")

    # After: from the event's page, one basket over the event's days, sent once.
    page.goto(f"/events/{event}")
    after = Counted(page)
    expect(page.locator("#reserve-event-gear")).to_have_text(WORDS[locale]["entry"])
    after.click("#reserve-event-gear")
    expect(page.locator("#start_date")).to_have_value(first.isoformat())
    expect(page.locator("#end_date")).to_have_value(last.isoformat())
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360
    after.check(f"#pick-{tent}")
    after.fill(f"#quantity-{helmet}", "2")  # giving a quantity ticks the item
    after.click("#reserve-basket")
    expect(page).to_have_url(re.compile(rf"/events/{event}$"))
    expect(page.locator(".flash-success")).to_contain_text(WORDS[locale]["done"])

    # The other basket comes too late: refused whole, naming the item, in the reader's words.
    other.click("#reserve-basket")
    expect(other.locator(".form-error")).to_contain_text("Helmet")  # the first line, by name
    expect(other.locator(".form-error")).to_contain_text(
        "libres" if locale == "es-ES" else "free on every day"
    )
    assert other.evaluate("() => document.documentElement.scrollWidth") <= 360
    refused = [m for m in problems.messages if "status of 409" in m or "status of 422" in m]
    for message in refused:
        problems.messages.remove(message)

    print(f"\n[{locale}] before: {len(before.actions)} actions {before.actions}")
    print(f"[{locale}] after: {len(after.actions)} actions {after.actions}")
    assert len(after.actions) <= 4 < len(before.actions)
    assert problems.messages == []
