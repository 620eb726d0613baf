"""The packing list in real Chromium: an organizer adds lines with their name and Enter and
ticks them where they stand, without the page reloading; a participant on a 360 px phone ticks
their own bag; without JavaScript the same forms post; the event page shows what is packed."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import LiveServer, Problems
from tests.builders import PASSWORD, Person, a_member, a_person, an_event

pytestmark = pytest.mark.browser

SCREENSHOTS = Path("/tmp")
STAYED = "() => window.__samePage === true"
"""True while the page is the one loaded at first: a reload forgets it."""


def _sign_in(page: Page, person: Person, url: str) -> None:
    page.goto("/login")
    page.fill("#email", person.email)
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/events$"))
    page.goto(url)
    page.evaluate("() => { window.__samePage = true; }")


def test_lines_are_added_and_ticked_in_place_and_each_member_packs_their_own_bag(
    chromium: Browser, live_server: LiveServer, problems: Problems
) -> None:
    with httpx.Client(base_url=live_server.url) as http:
        ana = a_person(http, display_name="Ana")
        event = an_event(http, ana, name="Travesía del Cares")
        bea = a_member(http, event, ana)
    url = f"/events/{event['id']}/packing-list"

    desk = problems.watch(
        chromium.new_context(
            base_url=live_server.url, locale="es-ES", viewport={"width": 1280, "height": 900}
        )
    )
    desk.set_default_timeout(10_000)
    page = desk.new_page()
    _sign_in(page, ana, url)

    # One action a line: its name, then Enter.
    for name in ("Frontal", "Gorro"):
        page.fill("#name", name)
        page.press("#name", "Enter")
        expect(page.locator("#packing-said")).to_contain_text(name)
        expect(page.locator("#name")).to_have_value("")
        expect(page.locator("#name")).to_be_focused()
    expect(page.locator(".packing-entry")).to_have_count(2)
    # The club's rope, with its details.
    page.click(".entry-details summary")
    page.fill("#name", "Cuerda")
    page.fill("#weight_grams", "3800")
    page.select_option("#provided_by", "club")
    page.click("#add-entry-button")
    expect(page.locator("#club-weight")).to_have_text("3,80 kg")
    expect(page.locator("#weight_grams")).to_have_value("")  # the next line starts afresh

    # Ticked where they stand: the bag's progress and the club's move with them.
    tick = page.locator(".packing-entry", has_text="Frontal").locator(".tick-button")
    tick.click()
    expect(
        page.locator(".packing-entry", has_text="Frontal").locator(".tick-button")
    ).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#my-packing .progress-count")).to_contain_text("1")
    expect(page.locator("#my-packing-bar")).to_have_attribute("value", "1")
    page.locator(".packing-entry", has_text="Cuerda").locator(".tick-button").click()
    expect(page.locator("#club-packing-bar")).to_have_attribute("value", "1")
    assert page.evaluate(STAYED), "the page reloaded"
    page.screenshot(path=str(SCREENSHOTS / "tripbot-packing-desktop.png"), full_page=True)

    # Bea, on her phone, packs her own bag: Ana's ticks are not hers; the rope is packed.
    phone = problems.watch(
        chromium.new_context(
            base_url=live_server.url,
            locale="es-ES",
            viewport={"width": 360, "height": 640},
            is_mobile=True,
        )
    )
    phone.set_default_timeout(10_000)
    mobile = phone.new_page()
    _sign_in(mobile, bea, url)
    frontal = mobile.locator(".packing-entry", has_text="Frontal")
    expect(frontal.locator(".tick-button")).to_have_attribute("aria-pressed", "false")
    rope = mobile.locator(".packing-entry", has_text="Cuerda")
    expect(rope.locator(".tick-button")).to_have_count(0)
    expect(rope.locator(".tick-done")).to_be_visible()
    frontal.locator(".tick-button").click()
    expect(frontal.locator(".tick-button")).to_have_attribute("aria-pressed", "true")
    expect(mobile.locator("#my-packing-bar")).to_have_attribute("value", "1")
    expect(mobile.locator("#my-packing-bar")).to_have_attribute("max", "2")
    assert mobile.evaluate(STAYED), "the page reloaded"
    box = frontal.locator(".tick-button").bounding_box()
    assert box is not None
    assert box["width"] >= 44
    assert box["height"] >= 44
    assert box["x"] + box["width"] <= 360
    assert mobile.evaluate("document.scrollingElement.scrollWidth") <= 360
    mobile.screenshot(path=str(SCREENSHOTS / "tripbot-packing-phone.png"), full_page=True)

    # The event page says how much of her bag is packed.
    mobile.goto(f"/events/{event['id']}")
    expect(mobile.locator("#glance-gear #my-packing-bar")).to_have_attribute("value", "1")
    expect(mobile.locator("#glance-gear #club-packing-bar")).to_have_attribute("value", "1")
    assert mobile.evaluate("document.scrollingElement.scrollWidth") <= 360
    mobile.locator("#glance-gear").screenshot(path=str(SCREENSHOTS / "tripbot-glance-packing.png"))
    assert problems.messages == []


def test_without_javascript_the_same_forms_post(
    chromium: Browser, live_server: LiveServer, problems: Problems
) -> None:
    with httpx.Client(base_url=live_server.url) as http:
        ana = a_person(http, display_name="Ana")
        event = an_event(http, ana, name="Sin cobertura")
    url = f"/events/{event['id']}/packing-list"
    context = problems.watch(
        chromium.new_context(base_url=live_server.url, locale="es-ES", java_script_enabled=False)
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    _sign_in(page, ana, url)
    page.fill("#name", "Cantimplora")
    page.press("#name", "Enter")
    expect(page).to_have_url(re.compile(r"/packing-list#add-entry$"))
    expect(page.locator(".flash-success")).to_contain_text("Cantimplora")
    page.locator(".packing-entry", has_text="Cantimplora").locator(".tick-button").click()
    expect(page).to_have_url(re.compile(r"/packing-list#entry-\d+$"))
    expect(
        page.locator(".packing-entry", has_text="Cantimplora").locator(".tick-button")
    ).to_have_attribute("aria-pressed", "true")
    assert problems.messages == []
