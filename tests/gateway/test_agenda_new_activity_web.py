"""A new activity on the agenda's web page starts on the day shown: a day chosen from the
event's days and a time offered after that day's last activity, filled in by "Add on this day"
(or a click on the timeline) so no date is typed in full."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from flask.testing import FlaskClient

from tests.builders import Person, a_member, an_activity, an_event
from tests.gateway.test_web_pages import a_guest, log_in, submit

Organizer = tuple[Person, dict[str, Any]]


@pytest.fixture
def organizer(client: FlaskClient, http: httpx.Client) -> Organizer:
    """Someone logged in on the web client, owner of a weekend in Madrid's time zone."""
    person = a_guest(client, http)
    event = an_event(
        http,
        person,
        starts_at="2027-05-01T08:00:00+02:00",
        ends_at="2027-05-02T18:00:00+02:00",
    )
    return person, event


def _form(page: str) -> dict[str, str]:
    """What the new activity form holds: its day chosen and its time."""
    form = re.search(r'<form[^>]*id="activity-form".*?</form>', page, re.S)
    assert form is not None
    day = re.search(r'<option value="([\d-]+)" selected>', form.group())
    start = re.search(r'id="new-time" name="time" type="time" value="([\d:]*)"', form.group())
    assert day is not None
    assert start is not None
    return {"day": day.group(1), "time": start.group(1)}


def _links(page: str) -> dict[str, str]:
    """Each day's "Add on this day" link: the time it offers, by day."""
    return dict(re.findall(r'add-on-day.*?data-day="([\d-]+)" data-time="([\d:]+)"', page, re.S))


def test_the_form_starts_on_the_first_day_when_the_event_starts(
    client: FlaskClient, organizer: Organizer
) -> None:
    _, event = organizer
    page = client.get(f"/events/{event['id']}/agenda").text
    assert _form(page) == {"day": "2027-05-01", "time": "08:00"}
    assert re.findall(r'<option value="(2027-05-0\d)"', page) == ["2027-05-01", "2027-05-02"]
    assert 'type="datetime-local" value=""' not in page
    # Nothing on either day yet: the first day from the event's start, the next from nine.
    assert _links(page) == {"2027-05-01": "08:00", "2027-05-02": "09:00"}


def test_a_day_offers_the_time_after_its_last_activity(
    client: FlaskClient, http: httpx.Client, organizer: Organizer
) -> None:
    owner, event = organizer
    an_activity(
        http,
        event,
        owner,
        starts_at="2027-05-02T09:00:00+02:00",
        ends_at="2027-05-02T10:40:00+02:00",
    )
    cancelled = an_activity(
        http,
        event,
        owner,
        starts_at="2027-05-02T15:00:00+02:00",
        ends_at="2027-05-02T17:00:00+02:00",
    )
    http.post(
        f"/api/v1/events/{event['id']}/activities/{cancelled['id']}/cancel", headers=owner.headers
    )
    url = f"/events/{event['id']}/agenda"
    # Up to the next quarter hour after 10:40; the cancelled afternoon holds nothing.
    assert _links(client.get(url).text)["2027-05-02"] == "10:45"
    assert _form(client.get(f"{url}?day=2027-05-02").text) == {"day": "2027-05-02", "time": "10:45"}
    # A click on the timeline says the time and the place.
    clicked = client.get(f"{url}?day=2027-05-02&time=16:30&place=7").text
    assert _form(clicked) == {"day": "2027-05-02", "time": "16:30"}
    # Whatever else is asked falls back to what the page offers.
    odd = client.get(f"{url}?day=1999-01-01&time=25:99&place=x").text
    assert _form(odd) == {"day": "2027-05-01", "time": "08:00"}


def test_an_activity_is_added_with_a_day_and_a_time(
    client: FlaskClient, http: httpx.Client, organizer: Organizer
) -> None:
    owner, event = organizer
    url = f"/events/{event['id']}/agenda"
    added = submit(
        client,
        f"{url}/activities",
        {"title": "Vía ferrata", "day": "2027-05-02", "time": "10:45", "duration": "120"},
    )
    assert added.status_code == 302
    stored = http.get(f"/api/v1/events/{event['id']}/activities", headers=owner.headers).json()
    assert [(a["title"], a["starts_at"], a["ends_at"]) for a in stored] == [
        ("Vía ferrata", "2027-05-02T08:45:00Z", "2027-05-02T10:45:00Z")
    ]
    bad = submit(client, f"{url}/activities", {"title": "Cena", "day": "2027-05-02", "time": ""})
    assert bad.status_code == 422
    assert re.search(r'id="new-time" name="time"[^>]*aria-invalid="true"', bad.text, re.S)
    assert _form(bad.text)["day"] == "2027-05-02"  # what was chosen stays chosen
    assert (
        len(http.get(f"/api/v1/events/{event['id']}/activities", headers=owner.headers).json()) == 1
    )


def test_participants_get_no_way_to_add(
    client: FlaskClient, http: httpx.Client, organizer: Organizer
) -> None:
    owner, event = organizer
    member = a_member(http, event, owner)
    other: FlaskClient = client.application.test_client()
    log_in(other, member.email)
    page = other.get(f"/events/{event['id']}/agenda").text
    assert "add-on-day" not in page
    assert 'id="activity-form"' not in page
