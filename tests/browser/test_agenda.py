"""An organizer builds an event's timetable in real Chromium: places, activities, a conflict
that shows on the timeline and goes away with a quick edit, and the calendar link to subscribe."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import icalendar
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import LiveServer, Problems, press_copy
from tests.builders import PASSWORD, a_person, an_event

pytestmark = pytest.mark.browser

SCREENSHOT = Path("/tmp/tripbot-agenda.png")


def _add_activity(page: Page, title: str, start: str, minutes: str, place: str) -> None:
    day, time = start.split("T")
    page.fill("#new-title", title)
    page.select_option("#new-day", day)
    page.fill("#new-time", time)
    page.fill("#new-duration", minutes)
    page.select_option("#new-place", label=place)
    page.click("#activity-form button[type=submit]")
    expect(page.locator(".flash-success")).to_contain_text(title)


def test_an_organizer_builds_the_agenda_and_subscribes_to_it(
    chromium: Browser, live_server: LiveServer, problems: Problems
) -> None:
    with httpx.Client(base_url=live_server.url) as http:
        ana = a_person(http, display_name="Ana")
        event = an_event(http, ana, name="Fin de semana en Picos")

    context = problems.watch(
        chromium.new_context(
            base_url=live_server.url, locale="en-GB", viewport={"width": 1280, "height": 900}
        )
    )
    context.set_default_timeout(5000)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    page.goto("/login")
    page.fill("#email", ana.email)
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/events$"))

    # From the event to its agenda, which is still empty.
    page.goto(f"/events/{event['id']}")
    page.click("#event-agenda")
    expect(page).to_have_url(re.compile(rf"/events/{event['id']}/agenda"))
    expect(page.locator("#now-next")).to_be_visible()
    expect(page.locator(".tl-bar")).to_have_count(0)

    # Two places, then two activities that overlap in the hut.
    for name, capacity in (("Refugio", "20"), ("Río", "")):
        page.fill("#place-name", name)
        page.fill("#place-capacity", capacity)
        page.click("#place-form button[type=submit]")
        expect(page.locator(".flash-success")).to_contain_text(name)
    _add_activity(page, "Desayuno", "2027-05-01T08:00", "60", "Refugio")
    _add_activity(page, "Charla de seguridad", "2027-05-01T08:30", "45", "Refugio")
    _add_activity(page, "Baño", "2027-05-01T12:00", "90", "Río")

    # The timeline draws a bar per activity, the two in conflict marked, with a warning.
    expect(page.locator(".tl-bar")).to_have_count(3)
    expect(page.locator(".tl-bar.conflict")).to_have_count(2)
    expect(page.locator("#conflicts .conflict")).to_have_count(1)
    expect(page.locator(".activity.has-conflict")).to_have_count(2)
    widths = page.locator(".tl-bar").evaluate_all(
        "bars => bars.map(b => b.getBoundingClientRect().width)"
    )
    assert all(width > 20 for width in widths), widths
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    # A quick edit moves the talk to the river: no conflict left, and it shows as moved.
    talk = page.locator(".activity", has=page.locator(".activity-title", has_text="Charla"))
    talk.locator("summary").click()
    activity_id = talk.get_attribute("data-activity-id")
    page.fill(f"#starts-{activity_id}", "2027-05-01T10:00")
    page.select_option(f"#place-{activity_id}", label="Río")
    talk.locator(".quick-edit-form button[type=submit]").click()
    expect(page.locator(".flash-success")).to_contain_text("Charla")
    expect(page.locator("#conflicts")).to_have_count(0)
    expect(page.locator(".tl-bar.conflict")).to_have_count(0)
    expect(page.locator(f"#activity-{activity_id}")).to_have_attribute("data-status", "moved")

    # Ana gets her private calendar link, copies it, and a calendar app can read it.
    page.click("#make-feed button[type=submit]")
    link = page.locator("#feed-url").input_value()
    assert "/agenda.ics?token=" in link
    press_copy(page, "#copy-feed", link)
    expect(page.locator("#subscribe-feed")).to_have_attribute("href", re.compile(r"^webcal://"))
    feed = httpx.get(link)
    assert feed.status_code == 200
    titles = {str(e["SUMMARY"]) for e in icalendar.Calendar.from_ical(feed.text).walk("VEVENT")}
    assert titles == {"Desayuno", "Charla de seguridad", "Baño"}

    # Printing shows the tables, not the timeline or the forms.
    expect(page.locator("#print-agenda")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.locator(".timeline").first).to_be_hidden()
    expect(page.locator("#activity-form")).to_be_hidden()
    expect(page.locator(".agenda-table").first).to_be_visible()
    page.emulate_media(media="screen")

    assert problems.messages == []


STAYED = "() => window.__samePage === true"
"""True while the page is the one loaded at first: a reload forgets it."""


def _sign_in(page: Page, email: str, url: str) -> None:
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/events$"))
    page.goto(url)
    page.evaluate("() => { window.__samePage = true; }")


def test_a_new_activity_goes_onto_the_grid_at_the_place_and_hour_clicked(
    chromium: Browser, live_server: LiveServer, problems: Problems
) -> None:
    with httpx.Client(base_url=live_server.url) as http:
        ana = a_person(http, display_name="Ana")
        event = an_event(
            http,
            ana,
            name="Fin de semana en Picos",
            ends_at="2027-05-02T18:00:00+02:00",
        )
        for name in ("Refugio", "Río"):
            made = http.post(
                f"/api/v1/events/{event['id']}/places", json={"name": name}, headers=ana.headers
            )
            assert made.status_code == 201, made.text
    url = f"/events/{event['id']}/agenda"
    context = problems.watch(
        chromium.new_context(
            base_url=live_server.url, locale="es-ES", viewport={"width": 1280, "height": 900}
        )
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    _sign_in(page, ana.email, url)

    # An empty Sunday still has a row for each place, from morning to evening.
    sunday = page.locator('.timeline[data-day="2027-05-02"]')
    river = sunday.locator(".tl-row", has=page.locator(".tl-label", has_text="Río")).locator(
        ".tl-track"
    )
    box = river.bounding_box()
    assert box is not None
    # 08:00 to 20:00 across the track: 10:30 lies 150 of 720 minutes in (and a little more).
    river.click(position={"x": box["width"] * (152 / 720), "y": box["height"] / 2})
    expect(page.locator("#new-title")).to_be_focused()
    expect(page.locator("#new-day")).to_have_value("2027-05-02")
    expect(page.locator("#new-time")).to_have_value("10:30")
    expect(page.locator("#new-place option:checked")).to_have_text("Río")
    assert page.evaluate(STAYED), "the page reloaded"
    page.keyboard.type("Barranquismo")
    page.keyboard.press("Enter")
    expect(page.locator(".flash-success")).to_contain_text("Barranquismo")
    bar = page.locator('.timeline[data-day="2027-05-02"] .tl-bar')
    expect(bar).to_have_count(1)
    expect(bar).to_have_attribute("title", re.compile(r"10:30"))
    page.screenshot(path="/tmp/tripbot-agenda-grid.png", full_page=True)

    # On a phone the day list's "Add on this day" offers the time after the day's last one.
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
    _sign_in(mobile, ana.email, url)
    mobile.locator('a.add-on-day[data-day="2027-05-02"]').click()
    expect(mobile.locator("#new-title")).to_be_focused()
    expect(mobile.locator("#new-day")).to_have_value("2027-05-02")
    expect(mobile.locator("#new-time")).to_have_value("11:30")  # Barranquismo ends at 11:30
    assert mobile.evaluate(STAYED), "the page reloaded"
    assert mobile.evaluate("document.scrollingElement.scrollWidth") <= 360
    mobile.screenshot(path="/tmp/tripbot-agenda-phone-add.png")
    assert problems.messages == []
