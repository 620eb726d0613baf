"""Without signal, in real Chromium on a phone: an excursion opened once with signal opens again
with none — the plan and its map, the route's profile, the timetable, the packing list, one's
gear and money — and what needs the server says so instead of failing."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from playwright.sync_api import Browser, BrowserContext, Geolocation, Page, expect

from tests.browser.conftest import LiveServer, Problems
from tests.browser.test_phone import PHONES, _sign_in
from tests.browser.tiles import TileServer
from tripbot.demo import DEMO_PEOPLE, load_demo
from tripbot.gateway.services import Services
from tripbot.gear.schemas import PackingEntryCreate
from tripbot.platform.identity import Principal

pytestmark = pytest.mark.browser

NEAR_THE_GORGE: Geolocation = {"latitude": 43.2449, "longitude": -4.8530}
"""About 100 m north of a turn of the demo's Cares track."""
CAUGHT = ("page error", "CSP violation")
"""What must not happen, offline or not (failed requests are the point once offline)."""


def _stock(services: Services) -> int:
    """The demo club with a line on the excursion's packing list; the excursion's id."""
    load_demo(services)
    owner = Principal(user_id=1, instance_role="admin")
    cares = next(e for e in services.events(owner).events() if e.kind == "excursion")
    packing = services.gear(replace(owner, event_id=cares.id, event_role="owner"))
    packing.add_entry(cares.id, PackingEntryCreate(name="Frontal con pilas", weight_grams=90))
    return cares.id


def _phone(chromium: Browser, live_server: LiveServer, problems: Problems) -> BrowserContext:
    context = chromium.new_context(
        base_url=live_server.url,
        locale="es-ES",
        viewport=PHONES["360x640"],
        is_mobile=True,
        geolocation=NEAR_THE_GORGE,
        permissions=["geolocation"],
    )
    context.set_default_timeout(15_000)
    return problems.watch(context)


def _saved(page: Page, event_id: int) -> None:
    """Open the event with signal and wait until its pages are kept on the phone."""
    page.goto(f"/events/{event_id}")
    page.wait_for_function(f"() => document.documentElement.dataset.offlineSaved === '{event_id}'")
    expect(page.locator("#offline-pack")).to_contain_text("Guardado en este teléfono")


def test_an_excursion_opened_once_opens_again_without_signal(
    chromium: Browser, live_server: LiveServer, tile_server: TileServer, problems: Problems
) -> None:
    event_id = _stock(live_server.system.gateway.extensions["tripbot.services"])
    page = _phone(chromium, live_server, problems).new_page()
    _sign_in(page, DEMO_PEOPLE[1][0])  # Luis takes part
    _saved(page, event_id)
    page.goto(f"/events/{event_id}/plan")  # with signal: the map's tiles are seen once
    page.wait_for_selector("#plan-map img.leaflet-tile-loaded")

    live_server.stop()
    tile_server.unreachable.set()

    page.goto(f"/events/{event_id}")
    expect(page.locator("#event-name")).to_have_text("Ruta del Cares")
    expect(page.locator("#offline-banner")).to_be_visible()
    expect(page.locator("#offline-banner")).to_contain_text("Sin conexión: esta es la copia")
    # Leaving the event needs the server: its button waits, and says why.
    expect(page.locator("#leave-event button")).to_be_disabled()
    expect(page.locator("#leave-event .offline-note")).to_contain_text("Esto necesita conexión")

    page.click("#excursion-plan")
    expect(page.locator(".meeting-point")).to_have_text("Aparcamiento de Poncebos")
    expect(page.locator("#plan-map")).to_have_attribute("data-ready", "true")
    assert page.locator("#plan-map .leaflet-overlay-pane path").count() >= 1  # the track
    page.wait_for_selector("#plan-map img.leaflet-tile-loaded")  # tiles kept from before
    page.click("#plan-map .locate-control a")
    expect(page.locator("#plan-map-where")).to_contain_text(
        re.compile(r"Estás a \d+ m del track, en el km \d+,\d de 7,9")
    )
    distance = int(page.get_attribute("#plan-map", "data-where") or "0")
    assert 60 <= distance <= 140

    page.click(".plan-route-name")
    expect(page.locator("canvas[data-profile]")).to_have_attribute("data-ready", re.compile(r"\d+"))

    page.goto(f"/events/{event_id}/agenda")
    expect(page.locator("#agenda-title")).to_be_visible()
    page.goto(f"/events/{event_id}/packing-list")
    expect(page.locator("main")).to_contain_text("Frontal con pilas")
    page.goto(f"/events/{event_id}/money")
    expect(page.locator("main")).to_contain_text("Tu saldo")
    page.goto("/gear/mine")
    expect(page).to_have_title(re.compile("Mis reservas"))

    # A page never opened with signal: said plainly, nothing pretended.
    page.goto(f"/events/{event_id}/money/new")
    expect(page.locator("#offline-page")).to_contain_text("Esta página necesita conexión")
    assert [m for m in problems.messages if m.startswith(CAUGHT)] == []


def test_logging_out_leaves_nothing_of_the_event_on_the_phone(
    chromium: Browser, live_server: LiveServer, problems: Problems
) -> None:
    event_id = _stock(live_server.system.gateway.extensions["tripbot.services"])
    page = _phone(chromium, live_server, problems).new_page()
    _sign_in(page, DEMO_PEOPLE[1][0])
    _saved(page, event_id)
    assert page.evaluate("async () => (await caches.keys()).length") > 0
    # The shell's page for "not kept" is nobody's: fetched without the session's cookie.
    shell = page.evaluate("async () => (await (await caches.match('/offline')).text())")
    assert DEMO_PEOPLE[1][1] not in shell

    page.evaluate("document.querySelector(\"form[action='/logout']\").requestSubmit()")
    page.wait_for_url(re.compile(r"/$|/login"))
    kept = page.evaluate(
        "async () => (await Promise.all((await caches.keys()).map(async (name) =>"
        " (await (await caches.open(name)).keys()).map((r) => r.url)))).flat()"
    )
    assert not [url for url in kept if f"/events/{event_id}" in url]
    assert problems.messages == []
