"""Accessibility in real Chromium: axe-core (from npm) finds no serious or critical violation
on any page of the demo club, on a phone and on a desktop; the menu, the skip link and forms
work by keyboard alone."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from tests.browser.conftest import LiveServer, Problems
from tests.browser.test_phone import START, _sign_in, _stock_the_demo, walk
from tripbot.demo import DEMO_PASSWORD, DEMO_PEOPLE

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
SCREENS: dict[str, ViewportSize] = {
    "phone": {"width": 360, "height": 640},
    "desktop": {"width": 1280, "height": 900},
}
GRAVE = """async () => (await axe.run(document, { resultTypes: ["violations"] })).violations
  .filter((v) => v.impact === "serious" || v.impact === "critical")
  .map((v) => `${v.id} (${v.impact}): ` +
    v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", "))"""
"""The serious and critical violations on the page, each with a few of the elements."""


def _axe(page: Page) -> list[str]:
    # Evaluated, not added as a script tag: the pages' CSP rightly refuses inline scripts.
    if not page.evaluate("() => typeof axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    found: list[str] = page.evaluate(GRAVE)
    return found


@pytest.mark.parametrize("screen", SCREENS)
def test_no_page_has_a_serious_or_critical_violation(
    chromium: Browser, live_server: LiveServer, problems: Problems, screen: str
) -> None:
    assert AXE.is_file(), "axe-core comes from npm: run npm ci (make setup)"
    code = _stock_the_demo(live_server.system.gateway.extensions["tripbot.services"])
    context = chromium.new_context(
        base_url=live_server.url, locale="es-ES", viewport=SCREENS[screen]
    )
    context.set_default_timeout(15_000)
    page = problems.watch(context).new_page()
    found: dict[str, list[str]] = {}
    for path in ("/login", "/register", f"/invite/{code}"):
        page.goto(path)
        found[f"{path} (signed out)"] = _axe(page)
    _sign_in(page, DEMO_PEOPLE[0][0])  # Ana sees every page there is
    found |= walk(page, live_server.url, (*START, f"/invite/{code}"), _axe)
    assert len(found) > 20
    assert {path: v for path, v in found.items() if v} == {}
    assert problems.messages == []


def test_signing_in_and_recording_an_expense_by_keyboard_alone(
    chromium: Browser, live_server: LiveServer, problems: Problems
) -> None:
    _stock_the_demo(live_server.system.gateway.extensions["tripbot.services"])
    context = chromium.new_context(
        base_url=live_server.url, locale="es-ES", viewport=SCREENS["phone"]
    )
    context.set_default_timeout(15_000)
    page = problems.watch(context).new_page()
    page.goto("/login")
    # The first Tab lands on the skip link; it takes the keyboard past the menu.
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    page.keyboard.press("Enter")
    tabs = 0
    while page.evaluate("document.activeElement.id") != "email":
        page.keyboard.press("Tab")
        tabs += 1
        assert tabs < 6, "the email field is too many Tabs away"
    page.keyboard.type(DEMO_PEOPLE[1][0])
    page.keyboard.press("Tab")
    expect(page.locator("#password")).to_be_focused()
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/events$"))

    # The closed phone menu takes no focus: Tab never walks into it.
    page.keyboard.press("Tab")
    for _ in range(8):
        assert not page.evaluate("!!document.activeElement.closest('#mobile-nav')")
        page.keyboard.press("Tab")

    cares = page.locator("a", has_text="Ruta del Cares").first.get_attribute("href")
    page.goto(f"{cares}/money/new")
    page.focus("#description")
    page.keyboard.type("Pan del refugio")
    page.keyboard.press("Tab")
    expect(page.locator("#amount")).to_be_focused()
    page.keyboard.type("18,40")
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_contain_text("Pan del refugio")
    assert problems.messages == []
