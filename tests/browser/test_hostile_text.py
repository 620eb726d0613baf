"""Hostile text in every field the web UI shows, read in real Chromium: script tags, attribute
break-outs, SQL and template injection, ``javascript:`` links. Each one appears literally on
every page that shows it (headings, tables, timelines, map tooltips, chart labels, flashes, the
print view), no dialog opens, the CSP reports nothing, and afterwards every table still answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Dialog, Page, expect

from tests.browser.conftest import LiveServer, Problems
from tests.builders import PASSWORD, Person, a_member, a_person, an_event

pytestmark = pytest.mark.browser

SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE = '"><img src=x onerror=alert(2)>'
SQL = "'; DROP TABLE users;--"
TEMPLATE = "{{7*7}}"
LINK = "javascript:alert(3)"

TEXT = {
    "event name": f"Salida {SCRIPT}",
    "event description": f"Llevad agua {ATTRIBUTE}",
    "event place": f"Poncebos {TEMPLATE}",
    "owner": f"Ana {SCRIPT}",
    "participant": f"Bruno {ATTRIBUTE}",
    "organizer": f"Carla {SQL}",
    "route name": f"Ruta {ATTRIBUTE}",
    "route description": f"Por la garganta {TEMPLATE}",
    "route region": f"Picos {SQL}",
    "waypoint": f"Fuente {SCRIPT}",
    "meeting point": f"Aparcamiento {ATTRIBUTE}",
    "plan notes": f"Notas {LINK}",
    "item name": f"Tienda {SCRIPT}",
    "item description": f"Dos plazas {SQL}",
    "item category": f"Refugio {TEMPLATE}",
    "unit label": f"T1 {ATTRIBUTE}",
    "unit notes": f"Varilla {LINK}",
    "reservation note": f"Para Picos {SQL}",
    "entry description": f"Autobús {SCRIPT}",
    "counterparty": f"Alsa {ATTRIBUTE}",
    "entry category": f"transporte {TEMPLATE}",
    "correction reason": f"Factura {SQL}",
    "place name": f"Refugio {ATTRIBUTE}",
    "place description": f"Junto al río {SQL}",
    "activity title": f"Desayuno {SCRIPT}",
    "activity description": f"Café {TEMPLATE}",
    "activity track": f"Pista {LINK}",
    "packing name": f"Saco {SCRIPT}",
    "packing category": f"Dormir {ATTRIBUTE}",
    "packing description": f"Hasta -5 {SQL}",
    "packing url": LINK,
}
"""Field → the hostile text stored in it; each keeps a readable word so failures say where."""

EXECUTED = """() => {
  const found = [];
  if (document.querySelector("img[src='x'], [onerror]")) found.push("an injected element");
  for (const script of document.querySelectorAll("script")) {
    const code = script.type === "" || script.type.includes("javascript");
    if (code && script.textContent.includes("alert(")) found.push("an injected script");
  }
  for (const link of document.querySelectorAll("[href], [src], [action]")) {
    const target = ["href", "src", "action"].map((name) => link.getAttribute(name)).join(" ");
    if (/(^|\\s)javascript:/i.test(target)) found.push(`a javascript: link ${target}`);
  }
  return found;
}"""
CHART_LABELS = """(id) => {
  const chart = window.Chart && Chart.getChart(document.getElementById(id));
  if (!chart) return null;
  return [...chart.data.labels, ...chart.data.datasets.map((set) => set.label)];
}"""
MAP_READY = "(id) => document.getElementById(id).dataset.ready === 'true'"


@dataclass(frozen=True)
class World:
    """What the organizer built through the API, by id."""

    owner: Person
    event_id: int
    invitation: str
    route_id: int
    item_id: int
    reservation_id: int
    entry_id: int


def _created(response: httpx.Response) -> Any:
    """The answer's body, once it says the request succeeded."""
    assert response.status_code in (200, 201), response.text
    return response.json()


def _club_today() -> date:
    return datetime.now(ZoneInfo("Europe/Madrid")).date()


def _route_file() -> bytes:
    """A straight walk north-east with one waypoint, whose name is hostile (escaped as XML)."""
    points = "".join(
        f'<trkpt lat="{43.2395 + i * 0.0005:.6f}" lon="{-4.857 + i * 0.0005:.6f}">'
        f"<ele>{500 + 2 * i}</ele></trkpt>"
        for i in range(60)
    )
    return (
        '<?xml version="1.0"?><gpx version="1.1" creator="test" '
        'xmlns="http://www.topografix.com/GPX/1/1">'
        f'<wpt lat="43.2545" lon="-4.842"><ele>530</ele><name>{escape(TEXT["waypoint"])}</name>'
        f"</wpt><trk><name>Sin nombre</name><trkseg>{points}</trkseg></trk></gpx>"
    ).encode()


def _world(http: httpx.Client) -> World:
    """One event with hostile text in every field, made through the public API."""
    owner = a_person(http, display_name=TEXT["owner"])  # the first account: an administrator
    event = an_event(
        http,
        owner,
        name=TEXT["event name"],
        description=TEXT["event description"],
        place=TEXT["event place"],
        kind="excursion",
    )
    event_path = f"/api/v1/events/{event['id']}"
    participant = a_member(http, event, owner)
    organizer = a_member(http, event, owner, "organizer")
    for person, name in ((participant, TEXT["participant"]), (organizer, TEXT["organizer"])):
        _created(http.patch("/api/v1/me", json={"display_name": name}, headers=person.headers))
    invitation = _created(http.post(f"{event_path}/invitations", json={}, headers=owner.headers))

    route = _created(
        http.post(
            "/api/v1/routes",
            files={"file": ("ruta.gpx", _route_file(), "application/gpx+xml")},
            data={
                "name": TEXT["route name"],
                "description": TEXT["route description"],
                "region": TEXT["route region"],
            },
            headers=owner.headers,
        )
    )
    plan = {
        "route_ids": [route["id"]],
        "meeting_point": TEXT["meeting point"],
        "meeting_lat": 43.2390,
        "meeting_lon": -4.8580,
        "notes": TEXT["plan notes"],
    }
    _created(http.put(f"{event_path}/plan", json=plan, headers=owner.headers))

    unit = {"label": TEXT["unit label"], "notes": TEXT["unit notes"]}
    item = _created(
        http.post(
            "/api/v1/gear/items",
            json={
                "name": TEXT["item name"],
                "category": TEXT["item category"],
                "description": TEXT["item description"],
                "weight_grams": 2300,
                "tracking": "units",
                "units": [unit, {"label": "T2"}],
            },
            headers=owner.headers,
        )
    )
    units = _created(http.get(f"/api/v1/gear/items/{item['id']}/units", headers=owner.headers))
    today = _club_today()
    reservation = {
        "item_id": item["id"],
        "unit_id": next(u["id"] for u in units if u["label"] == TEXT["unit label"]),
        "start_date": today.isoformat(),  # so that the desk lists it to hand out
        "end_date": (today + timedelta(days=1)).isoformat(),
        "note": TEXT["reservation note"],
    }
    reserved = _created(
        http.post("/api/v1/gear/reservations", json=reservation, headers=participant.headers)
    )
    for name, category, description in (
        (TEXT["packing name"], TEXT["packing category"], TEXT["packing description"]),
        ("Frontal", TEXT["packing category"], ""),
    ):
        _created(
            http.post(
                f"{event_path}/packing-list",
                json={
                    "name": name,
                    "category": category,
                    "description": description,
                    "weight_grams": 900,
                    "url": TEXT["packing url"],
                },
                headers=owner.headers,
            )
        )

    budget = {"lines": [{"kind": "expense", "category": TEXT["entry category"], "planned": "150"}]}
    _created(http.put(f"{event_path}/ledger/budget", json=budget, headers=owner.headers))
    entry = _created(
        http.post(
            f"{event_path}/ledger/entries",
            json={
                "description": TEXT["entry description"],
                "amount": "120.00",
                "counterparty": "Alsa",
                "category": TEXT["entry category"],
                "paid_by": [
                    {"party": owner.id, "amount": "80"},
                    {"party": participant.id, "amount": "40"},
                ],
            },
            headers=owner.headers,
        )
    )
    _created(
        http.patch(
            f"{event_path}/ledger/entries/{entry['id']}",
            json={"counterparty": TEXT["counterparty"], "reason": TEXT["correction reason"]},
            headers=owner.headers,
        )
    )

    place = _created(
        http.post(
            f"{event_path}/places",
            json={"name": TEXT["place name"], "description": TEXT["place description"]},
            headers=owner.headers,
        )
    )
    activity = {
        "title": TEXT["activity title"],
        "description": TEXT["activity description"],
        "starts_at": "2027-05-01T09:00:00+02:00",
        "ends_at": "2027-05-01T10:00:00+02:00",
        "place_id": place["id"],
        "people": [participant.id, organizer.id],
        "track": TEXT["activity track"],
    }
    _created(http.post(f"{event_path}/activities", json=activity, headers=owner.headers))
    return World(
        owner,
        event["id"],
        invitation["code"],
        route["id"],
        item["id"],
        reserved["id"],
        entry["id"],
    )


def _context(browser: Browser, problems: Problems, base_url: str, dialogs: list[str]) -> Page:
    context: BrowserContext = problems.watch(
        browser.new_context(
            base_url=base_url, locale="es-ES", viewport={"width": 1280, "height": 900}
        )
    )
    context.set_default_timeout(5000)

    def refuse(dialog: Dialog) -> None:
        # Nothing on these pages opens a dialog unless injected text ran.
        dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    context.on("dialog", refuse)
    return context.new_page()


def _shown(page: Page, path: str | None, *fields: str) -> str:
    """Open a page (or stay on it) and check it shows each field's text literally, unrendered
    and inert; return the page's visible text."""
    if path is not None:
        page.goto(path)
    seen: str = page.evaluate("() => document.body.innerText")
    for field in fields:
        assert TEXT[field] in seen, f"{page.url}: {field} {TEXT[field]!r} is not shown literally"
    for field, text in TEXT.items():
        if TEMPLATE in text:
            assert text.replace(TEMPLATE, "49") not in seen, f"{page.url}: {field} was rendered"
    assert page.evaluate(EXECUTED) == [], page.url
    return seen


def _chart_labels(page: Page, canvas_id: str) -> list[str | list[str]]:
    labels: list[str | list[str]] = page.wait_for_function(
        CHART_LABELS, arg=canvas_id, timeout=10_000
    ).json_value()
    return labels


def _map_tooltips(page: Page, map_id: str) -> set[str]:
    """What the map says when the pointer rests on each of its lines and points."""
    page.wait_for_function(MAP_READY, arg=map_id)
    page.locator(f"#{map_id}").scroll_into_view_if_needed()
    said: set[str] = set()
    for shape in page.locator(f"#{map_id} .leaflet-interactive").all():
        shape.hover(force=True)
        said.update(page.locator(f"#{map_id} .leaflet-tooltip").all_inner_texts())
        assert page.evaluate(EXECUTED) == [], f"{page.url}: a tooltip of {map_id}"
    page.mouse.move(0, 0)
    return said


def test_hostile_text_is_shown_literally_on_every_page_and_harms_nothing(
    chromium: Browser, live_server: LiveServer, problems: Problems
) -> None:
    with httpx.Client(base_url=live_server.url) as http:
        world = _world(http)
    event = f"/events/{world.event_id}"
    dialogs: list[str] = []
    page = _context(chromium, problems, live_server.url, dialogs)

    # Someone following the invitation link, not logged in, reads the event's name.
    _shown(page, f"/invite/{world.invitation}", "event name")
    assert TEXT["event name"] in page.title()

    page.goto("/login")
    page.fill("#email", world.owner.email)
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/events$"))

    # The event and its members.
    _shown(page, None, "event name")
    _shown(
        page,
        event,
        "event name",
        "event description",
        "event place",
        "owner",
        "participant",
        "organizer",
    )
    expect(page.locator("#event-name")).to_have_text(TEXT["event name"])
    page.goto("/account")
    expect(page.locator("#display_name")).to_have_value(TEXT["owner"])
    _shown(page, None)

    # Routes: the catalogue, the route with its map and profile, and the excursion's plan.
    _shown(page, "/routes", "route name", "route region")
    _shown(page, f"/routes/{world.route_id}", "route name", "route region")
    expect(page.locator("#description")).to_have_value(TEXT["route description"])
    assert TEXT["waypoint"] in _map_tooltips(page, "route-map")
    _chart_labels(page, "route-profile")  # drawn, with the page's scripts unharmed
    _shown(page, f"{event}/plan", "route name", "meeting point", "plan notes")
    assert f"1. {TEXT['route name']}" in _map_tooltips(page, "plan-map")

    # Gear: the inventory, the item with its units, a reservation made on the web (the flash
    # on one's own list names the item), the keeper's desk, and the packing list's chart.
    _shown(page, "/gear", "item name", "item category")
    _shown(
        page,
        f"/gear/items/{world.item_id}",
        "item name",
        "item description",
        "item category",
        "unit label",
    )
    expect(page.locator(".unit-notes").first).to_have_value(TEXT["unit notes"])
    assert TEXT["item name"] in page.title()
    first = _club_today() + timedelta(days=10)
    page.fill("#start_date", first.isoformat())
    page.fill("#end_date", first.isoformat())
    page.fill("#note", TEXT["reservation note"])
    page.click("#reserve-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/gear/mine$"))
    expect(page.locator(".flash-success")).to_contain_text(TEXT["item name"])
    _shown(page, None, "item name")
    _shown(page, "/gear/desk", "item name", "unit label", "participant")
    _shown(
        page,
        f"{event}/packing-list",
        "packing name",
        "packing category",
        "packing description",
    )
    _chart_labels(page, "weight-chart")

    # Money: entries and balances (a chart labelled with the members' names), the entry and
    # its corrected history, the report's budget chart labelled by category, budget and audit.
    _shown(page, f"{event}/money", "entry description", "entry category", "owner", "participant")
    balances = _chart_labels(page, "balances-chart")
    for person in ("owner", "participant", "organizer"):
        assert TEXT[person] in balances, balances
    _shown(
        page,
        f"{event}/money/entries/{world.entry_id}",
        "entry description",
        "entry category",
        "counterparty",
        "correction reason",
        "owner",
        "participant",
        "organizer",
    )
    assert TEXT["entry description"] in page.title()
    _shown(page, f"{event}/money/report", "entry category")
    # A narrow chart writes "kind · category" on two lines: a label is then its lines.
    budget = [
        " · ".join(label) if isinstance(label, list) else label
        for label in _chart_labels(page, "budget-chart")
    ]
    assert any(label.endswith(TEXT["entry category"]) for label in budget), budget
    page.goto(f"{event}/money/budget")
    expect(page.locator("input[name=category]").first).to_have_value(TEXT["entry category"])
    _shown(page, None)
    _shown(page, f"{event}/money/audit", "entry description")

    # Agenda: the timeline drawn by script, the table, and what gets printed.
    _shown(
        page,
        f"{event}/agenda",
        "activity title",
        "activity description",
        "activity track",
        "place name",
        "participant",
        "organizer",
    )
    expect(page.locator(".tl-bar-title")).to_have_text(TEXT["activity title"])
    # An organizer's timeline has a row per place, then one for activities with no place.
    expect(page.locator(".tl-row:not(.tl-axis) .tl-label")).to_have_text(
        [TEXT["place name"], "Sin lugar"]
    )
    page.emulate_media(media="print")
    printed = "\n".join(page.locator(".agenda-table").all_inner_texts())
    for field in ("activity title", "activity description", "place name", "participant"):
        assert TEXT[field] in printed, field
    page.emulate_media(media="screen")

    assert dialogs == []
    assert problems.messages == []

    # Nothing was dropped: every service still has its rows.
    with httpx.Client(base_url=live_server.url, headers=world.owner.headers) as http:
        api = f"/api/v1/events/{world.event_id}"
        assert http.get(api).json()["name"] == TEXT["event name"]
        assert len(http.get(f"{api}/members").json()) == 3
        assert http.get(f"/api/v1/routes/{world.route_id}").json()["name"] == TEXT["route name"]
        assert http.get(f"/api/v1/gear/items/{world.item_id}").json()["name"] == TEXT["item name"]
        reservation = http.get(f"/api/v1/gear/reservations/{world.reservation_id}").json()
        assert reservation["note"] == TEXT["reservation note"]
        entry = http.get(f"{api}/ledger/entries/{world.entry_id}").json()
        assert entry["counterparty"] == TEXT["counterparty"]
        activities = http.get(f"{api}/activities").json()
        assert [a["title"] for a in activities] == [TEXT["activity title"]]
        assert http.get("/api/v1/me").json()["display_name"] == TEXT["owner"]
