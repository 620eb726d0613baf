"""Two people in real Chromium: one organizes an event and invites, the other joins by the link;
then the organizer changes the other's role, and the other reads the event in English and
links Telegram."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import BOT_USERNAME, LiveServer, Problems, press_copy
from tests.builders import PASSWORD, a_member, a_person, an_event
from tripbot.events.schemas import TelegramLinkCreate
from tripbot.platform.identity import SYSTEM

pytestmark = pytest.mark.browser

SCREENSHOT = Path("/tmp/tripbot-event.png")
ICON_FONT_LOADED = """async () => {
  await document.fonts.ready;
  return document.fonts.check('24px "Material Icons"');
}"""
TEAL = "rgb(0, 106, 106)"  # the primary colour app.css gives Materialize's theme


def _person(browser: Browser, problems: Problems, base_url: str) -> BrowserContext:
    context = browser.new_context(
        base_url=base_url, locale="es-ES", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(5000)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    return problems.watch(context)


def _fill_registration(page: Page, name: str, email: str) -> None:
    page.fill("#display_name", name)
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("#register-form button[type=submit]")


def _logged_in(browser: Browser, problems: Problems, base_url: str, email: str) -> Page:
    page = _person(browser, problems, base_url).new_page()
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/events$"))
    return page


def _member(page: Page, name: str) -> str | None:
    row = page.locator(".member", has=page.locator(".member-name", has_text=name))
    return row.get_attribute("data-role")


def test_an_organizer_invites_someone_who_joins_by_the_link(
    chromium: Browser, live_server: LiveServer, problems: Problems
) -> None:
    ana = _person(chromium, problems, live_server.url).new_page()

    # Ana registers, logs out, and logs in again.
    ana.goto("/register")
    _fill_registration(ana, "Ana", "ana@club.example")
    expect(ana).to_have_url(re.compile(r"/events$"))
    ana.click("#main-nav .nav-button")
    expect(ana.locator(".flash-success")).to_be_visible()
    ana.goto("/login")
    ana.fill("#email", "ana@club.example")
    ana.fill("#password", PASSWORD)
    ana.click("#login-form button[type=submit]")
    expect(ana).to_have_url(re.compile(r"/events$"))

    # The styles and scripts are there: Materialize with the app's theme, and the icon font.
    button = ana.locator("#new-event")
    assert button.evaluate("b => getComputedStyle(b).backgroundColor") == TEAL
    assert ana.evaluate("() => typeof window.M === 'object' && typeof M.Toast === 'function'")
    assert ana.evaluate(ICON_FONT_LOADED)

    # She creates an excursion.
    button.click()
    ana.fill("#name", "Ruta del Cares")
    ana.select_option("#kind", "excursion")
    ana.fill("#place", "Poncebos")
    ana.fill("#starts_at", "2027-05-01T08:00")
    ana.fill("#ends_at", "2027-05-01T18:30")
    ana.select_option("#timezone", "Europe/Madrid")
    ana.fill("#description", "Poncebos - Caín por la garganta del Cares.\nLlevad agua.")
    ana.click("#event-form button[type=submit]")
    expect(ana.locator("#event-name")).to_have_text("Ruta del Cares")
    expect(ana.locator(".starts-at")).to_contain_text("8:00")

    # She makes an invitation link, reads it from the page and copies it.
    ana.click("#invitation-form button[type=submit]")
    link_field = ana.locator("#new-invitation-link")
    link = link_field.input_value()
    assert link.startswith(f"{live_server.url}/invite/")
    press_copy(ana, "button[data-copy=new-invitation-link]", link)
    expect(ana.locator("#toast-container .toast")).to_be_visible()

    # Bruno opens the link in his own browser, registers from there and is in.
    bruno = _person(chromium, problems, live_server.url).new_page()
    bruno.goto(link)
    expect(bruno.locator(".invitation-card")).to_contain_text("Ruta del Cares")
    bruno.click("#invite-register")
    expect(bruno.locator(".invitation-note")).to_contain_text("Ruta del Cares")
    _fill_registration(bruno, "Bruno", "bruno@club.example")
    expect(bruno.locator("#invite-state")).to_have_attribute("data-state", "member")
    bruno.click("#open-event")
    expect(bruno.locator("#event-name")).to_have_text("Ruta del Cares")
    assert _member(bruno, "Ana") == "owner"
    assert _member(bruno, "Bruno") == "participant"
    expect(bruno.locator("#invitations")).to_have_count(0)
    expect(bruno.locator(".role-form")).to_have_count(0)

    assert problems.messages == []


def test_the_owner_promotes_a_member_who_reads_the_event_in_english(
    chromium: Browser, live_server: LiveServer, problems: Problems
) -> None:
    # Where the first test ends: Ana owns an excursion that Bruno joined by her link.
    with httpx.Client(base_url=live_server.url) as http:
        owner = a_person(http, display_name="Ana")
        event = an_event(http, owner, name="Ruta del Cares")
        guest = a_member(http, event, owner)
    ana = _logged_in(chromium, problems, live_server.url, owner.email)
    bruno = _logged_in(chromium, problems, live_server.url, guest.email)

    # Ana makes Bruno an organizer.
    ana.goto(f"/events/{event['id']}")
    row = ana.locator(f".member[data-user-id='{guest.id}']")
    row.locator("select").select_option("organizer")
    row.locator(".role-form button").click()
    expect(ana.locator(".flash-success")).to_contain_text("organizador")
    expect(row).to_have_attribute("data-role", "organizer")
    ana.screenshot(path=str(SCREENSHOT), full_page=True)

    # Bruno sees it, and switches the language to English and back.
    bruno.goto(f"/events/{event['id']}")
    expect(bruno.locator(f".member[data-user-id='{guest.id}']")).to_have_attribute(
        "data-role", "organizer"
    )
    expect(bruno.locator("html")).to_have_attribute("lang", "es")
    expect(bruno.locator("#members .card-title")).to_contain_text("Miembros")
    bruno.click("#language-form button[value=en]")
    expect(bruno.locator("html")).to_have_attribute("lang", "en")
    expect(bruno.locator("#members .card-title")).to_contain_text("Members")
    expect(bruno.locator(".member[data-role=owner] .role-chip")).to_contain_text("owner")
    bruno.click("#language-form button[value=es]")
    expect(bruno.locator("html")).to_have_attribute("lang", "es")
    expect(bruno.locator("#members .card-title")).to_contain_text("Miembros")
    expect(bruno.locator(".member[data-role=owner] .role-chip")).to_contain_text("propietario")

    # Bruno links Telegram from his account page: a deep link to the bot and a message to copy.
    bruno.goto("/account")
    bruno.click("#telegram-link-form button[type=submit]")
    deep_link = bruno.locator("#telegram-deep-link").get_attribute("href") or ""
    assert deep_link.startswith(f"https://t.me/{BOT_USERNAME}?start=")
    code = deep_link.rsplit("=", 1)[1]
    press_copy(bruno, "button[data-copy=telegram-start]", f"/start {code}")
    live_server.system.gateway.extensions["tripbot.services"].events(SYSTEM).link_telegram(
        TelegramLinkCreate(code=code, telegram_user_id=424242)
    )
    bruno.goto("/account")
    expect(bruno.locator("#telegram-linked")).to_contain_text("Vinculado desde")

    assert problems.messages == []
