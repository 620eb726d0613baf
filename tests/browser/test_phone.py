"""In real Chromium on a phone-sized screen: every page of the demo club fits the screen's
width, and every link, button and field of it lies on the screen, where a thumb can reach it."""

from __future__ import annotations

import json
import os
import re
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import TypedDict, TypeVar
from urllib.parse import urljoin, urlsplit

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from tests.browser.conftest import LiveServer, Problems
from tripbot.demo import DEMO_PASSWORD, DEMO_PEOPLE, load_demo
from tripbot.gateway.services import Services
from tripbot.gear.schemas import CheckOut, PackingEntryCreate
from tripbot.platform.identity import Principal

pytestmark = pytest.mark.browser

PHONES: dict[str, ViewportSize] = {
    "360x640": {"width": 360, "height": 640},
    "390x844": {"width": 390, "height": 844},
}
START = ("/", "/events", "/gear", "/gear/mine", "/gear/desk", "/routes", "/account")
"""Where the walk starts; every page these link to, and so on, is visited."""
NOT_PAGES = re.compile(
    r"^/(api|static|logout)\b|\.(csv|json|ics|gpx|kml|geojson|png|jpe?g|pdf)$"
    r"|/photo$|/receipts/|/download\."
)
"""Files, the API and sign-out are no pages to lay out."""
T = TypeVar("T")
SAME_KIND = 2
"""Pages of one kind (the same path with its numbers taken out) visited at most this often."""

MEASURE = """() => {
  const width = window.innerWidth;
  const outside = [];
  for (const el of document.querySelectorAll("a[href], button, input, select, textarea, summary")) {
    if (el.type === "hidden" || !el.checkVisibility({visibilityProperty: true})) continue;
    // The closed phone menu waits off the left edge by design.
    const menu = el.closest(".sidenav");
    if (menu && menu.getBoundingClientRect().right <= 0) continue;
    const box = el.getBoundingClientRect();
    if (box.width <= 1 || box.height <= 1) continue;
    if (box.left < -1 || box.right > width + 1) {
      const name = el.innerText || el.value || el.name || el.getAttribute("aria-label") || "";
      const where = `${Math.round(box.left)}-${Math.round(box.right)}`;
      outside.push(`${el.tagName.toLowerCase()} "${name.trim().slice(0, 30)}" at x ${where}`);
    }
  }
  return {scrollWidth: document.scrollingElement.scrollWidth, width, outside};
}"""
OPEN_DETAILS = "() => document.querySelectorAll('details').forEach((d) => { d.open = true; })"
LINKS = """() => Array.from(document.querySelectorAll("a[href]"), (a) => a.href)"""


class Measure(TypedDict):
    """How wide a page is on a screen this wide, and its controls lying outside the screen."""

    scrollWidth: int  # as the page's JavaScript names it
    width: int
    outside: list[str]


def _stock_the_demo(services: Services) -> str:
    """The demo club, with gear out on loan (the desk's check-in forms) and a packing list;
    the code of an invitation to its excursion."""
    load_demo(services)
    owner = Principal(user_id=1, instance_role="admin")
    gear = services.gear(owner)
    tent = next(item for item in gear.items() if item.tracking == "units")
    # Back a week before the demo's outing, for which a tent is booked.
    back = gear.reservations()[0].start_date - timedelta(days=7)
    gear.check_out(CheckOut(item_id=tent.id, quantity=1, end_date=back))
    cares = services.events(owner).events()[0]
    packing = services.gear(replace(owner, event_id=cares.id, event_role="owner"))
    packing.add_entry(
        cares.id, PackingEntryCreate(name="Saco de dormir ultraligero", weight_grams=900)
    )
    packing.add_entry(cares.id, PackingEntryCreate(item_id=tent.id, provided_by="club"))
    return services.events(owner).invitations(cares.id)[0].code


def _kind(path: str) -> str:
    return re.sub(r"\d+", "{n}", path)


def walk(page: Page, base: str, start: tuple[str, ...], look: Callable[[Page], T]) -> dict[str, T]:
    """Visit every page reachable from the start pages (a few of each kind); what ``look``
    found on each, by path."""
    seen: set[str] = set()
    kinds: dict[str, int] = {}
    queue = deque(start)
    found: dict[str, T] = {}
    while queue:
        path = queue.popleft()
        if path in seen:
            continue
        seen.add(path)
        kind = _kind(path)
        if kinds.get(kind, 0) >= SAME_KIND:
            continue
        kinds[kind] = kinds.get(kind, 0) + 1
        response = page.goto(path)
        assert response is not None
        assert response.ok, f"{path}: HTTP {response.status}"
        page.wait_for_load_state("load")
        found[path] = look(page)
        for href in page.evaluate(LINKS):
            url = urlsplit(urljoin(page.url, href))
            if f"{url.scheme}://{url.netloc}" != base or NOT_PAGES.search(url.path):
                continue
            if url.path not in seen:
                queue.append(url.path)
    return found


def _measure(page: Page) -> Measure:
    # Closed details (quick edits, more options) are opened: what they hold must fit too.
    page.evaluate(OPEN_DETAILS)
    measured: Measure = page.evaluate(MEASURE)
    return measured


def _too_wide(measured: dict[str, Measure]) -> list[str]:
    return [
        f"{path}: {m['scrollWidth']} px wide on a {m['width']} px screen; outside it: "
        + "; ".join(m["outside"])
        for path, m in measured.items()
        if m["scrollWidth"] > m["width"] or m["outside"]
    ]


def _sign_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", DEMO_PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/events$"))


@pytest.mark.parametrize("screen", PHONES)
def test_every_page_of_the_demo_club_fits_a_phone(
    chromium: Browser, live_server: LiveServer, problems: Problems, screen: str
) -> None:
    code = _stock_the_demo(live_server.system.gateway.extensions["tripbot.services"])

    def phone() -> Page:
        context = chromium.new_context(
            base_url=live_server.url, locale="es-ES", viewport=PHONES[screen], is_mobile=True
        )
        context.set_default_timeout(10_000)
        return problems.watch(context).new_page()

    # Before signing in: the sign-in and sign-up pages, and an invitation.
    page = phone()
    measured: dict[str, Measure] = {}
    for path in ("/login", "/register", f"/invite/{code}"):
        page.goto(path)
        measured[f"{path} (signed out)"] = page.evaluate(MEASURE)

    # Ana administers the instance and organizes both outings: she sees every page there is.
    _sign_in(page, DEMO_PEOPLE[0][0])
    admin = walk(page, live_server.url, (*START, f"/invite/{code}"), _measure)
    # Marta only takes part: the same pages show her what a participant sees (read-only forms).
    marta = phone()
    _sign_in(marta, DEMO_PEOPLE[2][0])
    starts = tuple(p for p in START if p != "/gear/desk")
    participant = walk(marta, live_server.url, starts, _measure)
    measured |= admin | {f"{path} (participant)": m for path, m in participant.items()}
    if report := os.environ.get("TRIPBOT_PHONE_WIDTHS"):  # the widths, to tell them
        Path(report, f"{screen}.json").write_text(json.dumps(measured, indent=1))

    kinds = {_kind(path) for path in admin}
    for expected in (
        "/events/{n}",
        "/events/{n}/agenda",
        "/events/{n}/money",
        "/events/{n}/money/budget",
        "/events/{n}/money/report",
        "/events/{n}/money/entries/{n}",
        "/events/{n}/plan",
        "/events/{n}/delete",
        "/events/{n}/packing-list",
        "/gear/items/{n}",
        "/gear/desk",
        "/gear/mine",
        "/routes/{n}",
        "/invite/{n}",
        "/account",
    ):
        assert any(re.fullmatch(expected.replace("{n}", r"[^/]+"), k) for k in kinds), expected
    assert len(participant) > 10
    assert _too_wide(measured) == []
    assert problems.messages == []


INSIDE = """(width) => Array.from(
  document.querySelectorAll(".activity a, .activity button, .activity input, .activity select"),
).filter((el) => el.checkVisibility()).every((el) => {
  const box = el.getBoundingClientRect();
  const row = el.closest(".activity").getBoundingClientRect();
  return box.left >= Math.max(0, row.left) && box.right <= Math.min(width, row.right);
})"""
"""Whether every control of every activity lies within its activity's block and the screen."""


def test_on_a_phone_the_agenda_is_a_day_list_an_organizer_edits_and_cancels_from(
    chromium: Browser, live_server: LiveServer, problems: Problems
) -> None:
    load_demo(live_server.system.gateway.extensions["tripbot.services"])
    context = chromium.new_context(
        base_url=live_server.url, locale="es-ES", viewport=PHONES["360x640"], is_mobile=True
    )
    context.set_default_timeout(10_000)
    page = problems.watch(context).new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    _sign_in(page, DEMO_PEOPLE[0][0])
    page.click("text=Encuentro anual del club")
    page.click(".event-sections a[href$='/agenda']")
    expect(page.locator("#agenda-title")).to_be_visible()

    # No timeline with hours printed over each other: each activity is a block of the day's
    # list, its time above its title, and everything of it on the screen.
    expect(page.locator(".timeline").first).to_be_hidden()
    dinner = page.locator(".activity", has=page.locator(".activity-title", has_text="Cena"))
    time = dinner.locator(".time").bounding_box()
    title = dinner.locator(".activity-title").bounding_box()
    assert time is not None
    assert title is not None
    assert time["y"] + time["height"] <= title["y"]
    assert page.evaluate(INSIDE, 360)
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360

    # Ana moves dinner's title from her phone, then calls the walk off.
    dinner.locator(".quick-edit summary").click()
    assert page.evaluate(INSIDE, 360)
    dinner.locator("input[name=title]").fill("Cena de gala")
    dinner.locator(".quick-edit-form button[type=submit]").click()
    expect(page.locator(".activity-title", has_text="Cena de gala")).to_be_visible()
    walk = page.locator(".activity", has=page.locator(".activity-title", has_text="embalse"))
    walk.locator(".cancel-form button").click()
    expect(walk).to_have_attribute("data-status", "cancelled")
    assert problems.messages == []
