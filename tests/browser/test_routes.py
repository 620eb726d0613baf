"""In real Chromium: someone uploads a GPX and sees its map and elevation profile; the organizer
of an excursion puts that route in its plan with a meeting point picked on the map, and a
participant sees the plan."""

from __future__ import annotations

import math
import random
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import LiveServer, Problems
from tests.builders import PASSWORD, a_member, a_person, an_event

pytestmark = pytest.mark.browser

SCREENSHOTS = Path("/tmp")
"""Where the pages are pictured, as routes-<step>.png, to look at."""
CHART_DRAWN = """(id) => {
  const canvas = document.getElementById(id);
  const chart = window.Chart && Chart.getChart(canvas);
  const box = canvas.getBoundingClientRect();
  const drawn = Boolean(chart) && chart.data.datasets[0].data.length > 1;
  return drawn && box.width > 0 && box.height > 0;
}"""
TRACK_DRAWN = """(id) => {
  const paths = document.querySelectorAll(`#${id} .leaflet-overlay-pane path`);
  return Array.from(paths).filter((p) => (p.getAttribute("d") || "").length > 100).length;
}"""


def _walk_gpx() -> str:
    """A 9 km loop from Poncebos climbing to about 1,000 m, a point every 10 s, GPS noise."""
    rng = random.Random(11)
    start = datetime(2026, 6, 13, 7, 30, tzinfo=UTC)
    lat0, lon0 = 43.2395, -4.8570
    points = []
    for i in range(360):
        turn = 2 * math.pi * i / 359
        north = 1400 * (1 - math.cos(turn)) + rng.gauss(0, 2)
        east = 1100 * math.sin(turn) + 300 * math.sin(2 * turn) + rng.gauss(0, 2)
        ele = 220 + 780 * math.sin(turn / 2) ** 2 + rng.gauss(0, 3)
        lat = lat0 + north / 111_320
        lon = lon0 + east / (111_320 * math.cos(math.radians(lat0)))
        time = (start + timedelta(seconds=10 * i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        points.append(
            f'<trkpt lat="{lat:.6f}" lon="{lon:.6f}">'
            f"<ele>{ele:.1f}</ele><time>{time}</time></trkpt>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<gpx version="1.1" creator="Garmin eTrex 32x" xmlns="http://www.topografix.com/GPX/1/1">'
        '<wpt lat="43.2521" lon="-4.8531"><ele>995</ele><name>Collado Cima</name></wpt>'
        "<trk><name>Vuelta a la Cabeza de los Mazos</name><trkseg>"
        + "".join(points)
        + "</trkseg></trk></gpx>"
    )


def _picture(page: Page, step: str) -> None:
    path = SCREENSHOTS / f"routes-{step}.png"
    page.screenshot(path=str(path), full_page=True, animations="disabled")


def _log_in(browser: Browser, problems: Problems, base_url: str, email: str) -> Page:
    context = problems.watch(
        browser.new_context(
            base_url=base_url, locale="es-ES", viewport={"width": 1280, "height": 900}
        )
    )
    context.set_default_timeout(5000)
    page = context.new_page()
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/events$"))
    return page


def test_an_uploaded_route_is_drawn_and_a_participant_sees_the_excursion_plan(
    chromium: Browser, live_server: LiveServer, problems: Problems, tmp_path: Path
) -> None:
    with httpx.Client(base_url=live_server.url) as http:
        ana = a_person(http, display_name="Ana")
        event = an_event(
            http,
            ana,
            name="Picos en junio",
            starts_at="2027-06-12T08:00:00+02:00",
            ends_at="2027-06-12T18:00:00+02:00",
        )
        bruno = a_member(http, event, ana)
    gpx = tmp_path / "cabeza-de-los-mazos.gpx"
    gpx.write_text(_walk_gpx())

    # Ana uploads the GPX of a walk from the catalogue's page.
    ana_page = _log_in(chromium, problems, live_server.url, ana.email)
    ana_page.click("#main-nav a[href='/routes']")
    ana_page.click("#new-route")
    ana_page.set_input_files("#file", str(gpx))
    ana_page.fill("#region", "Picos de Europa")
    ana_page.fill("#signage", "PR-PNPE 21")
    _picture(ana_page, "upload")
    ana_page.click("#route-form button[type=submit]")
    expect(ana_page.locator("#route-name")).to_have_text("Vuelta a la Cabeza de los Mazos")
    expect(ana_page.locator(".flash-success")).to_be_visible()
    expect(ana_page.locator("#route-shape")).to_have_text("circular")
    expect(ana_page.locator(".stat-distance")).to_contain_text("km")
    expect(ana_page.locator(".stat-ascent")).to_have_text(re.compile(r"^[78]\d\d m$"))
    expect(ana_page.locator("#route-map[data-ready=true]")).to_have_count(1)
    assert ana_page.evaluate(TRACK_DRAWN, "route-map") == 1
    ana_page.wait_for_function(CHART_DRAWN, arg="route-profile", timeout=10_000)
    ana_page.locator("#route-map").scroll_into_view_if_needed()
    _picture(ana_page, "route")
    route_url = ana_page.url

    # As the excursion's organizer she adds it to the plan from the catalogue, then places
    # the meeting point with a click on the map and saves the rest of the plan.
    ana_page.goto(f"/events/{event['id']}")
    ana_page.click("#excursion-plan")
    expect(ana_page.locator(".plan-route")).to_have_count(0)
    ana_page.click("#choose-routes")
    ana_page.fill("#q", "mazos")
    ana_page.click("#route-search button[type=submit]")
    expect(ana_page.locator(".route-card")).to_have_count(1)
    _picture(ana_page, "catalogue")
    ana_page.click(".route-card .add-to-plan")
    expect(ana_page).to_have_url(re.compile(rf"/events/{event['id']}/plan$"))
    expect(ana_page.locator(".plan-route")).to_have_count(1)
    expect(ana_page.locator("#plan-map[data-ready=true]")).to_have_count(1)
    assert ana_page.evaluate(TRACK_DRAWN, "plan-map") == 1
    ana_page.click("#plan-map", position={"x": 120, "y": 330})
    expect(ana_page.locator("#meeting_lat")).to_have_value(re.compile(r"^43\.2\d+$"))
    expect(ana_page.locator("#meeting_lon")).to_have_value(re.compile(r"^-4\.8\d+$"))
    ana_page.fill("#meeting_point", "Aparcamiento de Poncebos")
    ana_page.fill("#meeting_at", "2027-06-12T07:45")
    ana_page.fill("#capacity", "14")
    ana_page.click("#plan-form button[type=submit]")
    expect(ana_page.locator(".flash-success")).to_be_visible()
    expect(ana_page.locator(".meeting-point")).to_have_text("Aparcamiento de Poncebos")
    _picture(ana_page, "plan-organizer")

    # Bruno, a participant, finds the plan from the event: route, meeting point, time, places.
    bruno_page = _log_in(chromium, problems, live_server.url, bruno.email)
    bruno_page.goto(f"/events/{event['id']}")
    bruno_page.click("#excursion-plan")
    expect(bruno_page.locator(".meeting-point")).to_have_text("Aparcamiento de Poncebos")
    expect(bruno_page.locator(".meeting-at")).to_contain_text("7:45")
    expect(bruno_page.locator(".capacity")).to_have_text("14")
    expect(bruno_page.locator(".plan-route-name")).to_have_text("Vuelta a la Cabeza de los Mazos")
    expect(bruno_page.locator("#plan-form")).to_have_count(0)
    expect(bruno_page.locator("#plan-map[data-ready=true]")).to_have_count(1)
    assert bruno_page.evaluate(TRACK_DRAWN, "plan-map") == 1
    expect(bruno_page.locator("#plan-map .leaflet-interactive")).to_have_count(2)  # + meeting
    _picture(bruno_page, "plan")
    bruno_page.click(".plan-route-name")
    expect(bruno_page).to_have_url(route_url)

    assert problems.messages == []
