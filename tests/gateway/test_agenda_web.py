"""Web pages of the agenda: the timetable page, quick edits, places, the calendar link, exports,
and who sees what."""

from __future__ import annotations

import json
import re

import httpx
import pytest
from flask.testing import FlaskClient

from tests.builders import Person, a_member, a_person, an_activity, an_event
from tests.gateway.test_web_pages import a_guest, log_in, submit


@pytest.fixture
def organizer(client: FlaskClient, http: httpx.Client) -> tuple[Person, dict[str, object]]:
    """Someone logged in on the web client, owner of an event."""
    person = a_guest(client, http)
    return person, an_event(http, person)


def _page(client: FlaskClient, event_id: object) -> str:
    answer = client.get(f"/events/{event_id}/agenda")
    assert answer.status_code == 200
    return answer.text


def test_the_event_page_links_to_its_agenda(
    client: FlaskClient, organizer: tuple[Person, dict[str, object]]
) -> None:
    _, event = organizer
    page = client.get(f"/events/{event['id']}").text
    assert f'href="/events/{event["id"]}/agenda"' in page


def test_an_organizer_adds_places_and_activities_with_a_form(
    client: FlaskClient, http: httpx.Client, organizer: tuple[Person, dict[str, object]]
) -> None:
    owner, event = organizer
    url = f"/events/{event['id']}/agenda"
    assert submit(client, f"{url}/places", {"name": "Refugio", "capacity": "10"}).status_code == 302
    place_id = http.get(f"/api/v1/events/{event['id']}/places", headers=owner.headers).json()[0][
        "id"
    ]
    added = submit(
        client,
        f"{url}/activities",
        {
            "title": "Desayuno",
            "day": "2027-05-01",
            "time": "08:00",
            "duration": "90",
            "place_id": str(place_id),
            "capacity": "12",
            "people": str(owner.id),
        },
    )
    assert added.status_code == 302
    stored = http.get(f"/api/v1/events/{event['id']}/activities", headers=owner.headers).json()
    assert [(a["title"], a["starts_at"], a["ends_at"], a["place_id"]) for a in stored] == [
        ("Desayuno", "2027-05-01T06:00:00Z", "2027-05-01T07:30:00Z", place_id)
    ]
    page = _page(client, event["id"])
    assert f'id="activity-{stored[0]["id"]}"' in page
    assert "has-conflict" in page  # 12 people expected, the hut holds 10
    data = json.loads(re.search(r'id="agenda-data">(.*?)</script>', page, re.S).group(1))  # type: ignore[union-attr]
    drawn = data["days"][0]["activities"][0]
    assert drawn.pop("time").endswith(("9:30 AM", "9:30"))
    assert drawn == {
        "id": stored[0]["id"],
        "title": "Desayuno",
        "place": "Refugio",
        "start": 8 * 60,
        "end": 9 * 60 + 30,
        "status": "scheduled",
        "conflict": True,
    }


def test_bad_forms_come_back_with_their_errors_and_store_nothing(
    client: FlaskClient, http: httpx.Client, organizer: tuple[Person, dict[str, object]]
) -> None:
    owner, event = organizer
    url = f"/events/{event['id']}/agenda"
    answer = submit(
        client,
        f"{url}/activities",
        {"title": "x" * 201, "day": "2027-05-01", "time": "mañana", "duration": "0"},
    )
    assert answer.status_code == 422
    assert "Usa como máximo 200 caracteres." in answer.text
    assert answer.text.count("field-error") >= 3
    too_long = submit(
        client,
        f"{url}/activities",
        {"title": "Semana", "day": "2027-05-01", "time": "08:00", "duration": "10000"},
    )
    assert too_long.status_code == 422
    assert 'aria-invalid="true"' in too_long.text
    assert http.get(f"/api/v1/events/{event['id']}/activities", headers=owner.headers).json() == []
    assert submit(client, f"{url}/places", {"name": ""}).status_code == 422
    assert submit(client, f"{url}/places", {"name": "Río"}).status_code == 302
    assert submit(client, f"{url}/places", {"name": "Río"}).status_code == 422


def test_a_quick_edit_moves_an_activity_and_cancelling_keeps_it(
    client: FlaskClient, http: httpx.Client, organizer: tuple[Person, dict[str, object]]
) -> None:
    owner, event = organizer
    made = an_activity(http, event, owner)
    url = f"/events/{event['id']}/agenda/activities/{made['id']}"
    moved = submit(
        client, url, {"title": "Desayuno tardío", "starts_at": "2027-05-01T10:00", "duration": "30"}
    )
    assert moved.status_code == 302
    stored = http.get(
        f"/api/v1/events/{event['id']}/activities/{made['id']}", headers=owner.headers
    ).json()
    assert (stored["title"], stored["status"], stored["starts_at"], stored["ends_at"]) == (
        "Desayuno tardío",
        "moved",
        "2027-05-01T08:00:00Z",
        "2027-05-01T08:30:00Z",
    )
    bad = submit(client, url, {"title": "Desayuno", "starts_at": "", "duration": "30"})
    assert bad.status_code == 422
    assert '<details class="quick-edit" open>' in bad.text
    assert submit(client, f"{url}/cancel").status_code == 302
    page = _page(client, event["id"])
    assert 'data-status="cancelled"' in page
    assert submit(client, f"{url}/restore").status_code == 302
    assert submit(client, f"{url}/delete").status_code == 302
    assert http.get(f"/api/v1/events/{event['id']}/activities", headers=owner.headers).json() == []


def test_members_get_a_private_calendar_link_they_can_renew(
    client: FlaskClient, http: httpx.Client, organizer: tuple[Person, dict[str, object]]
) -> None:
    _, event = organizer
    url = f"/events/{event['id']}/agenda"
    assert 'id="make-feed"' in _page(client, event["id"])
    assert submit(client, f"{url}/feed").status_code == 302
    link = re.search(r'id="feed-url" value="([^"]+)"', _page(client, event["id"]))
    assert link is not None
    path = link.group(1).removeprefix("http://127.0.0.1:8000")
    assert http.get(path).status_code == 200
    assert submit(client, f"{url}/feed").status_code == 302
    assert http.get(path).status_code == 404
    assert submit(client, f"{url}/feed/revoke").status_code == 302
    assert 'id="make-feed"' in _page(client, event["id"])


def test_exports_download_the_ics_and_the_schedule(
    client: FlaskClient, http: httpx.Client, organizer: tuple[Person, dict[str, object]]
) -> None:
    owner, event = organizer
    an_activity(http, event, owner)
    ics = client.get(f"/events/{event['id']}/agenda/export.ics")
    assert ics.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert ics.headers["Content-Disposition"].startswith("attachment")
    assert "BEGIN:VEVENT" in ics.text
    schedule = client.get(f"/events/{event['id']}/agenda/export.json")
    assert json.loads(schedule.text)["schedule"]["conference"]["title"] == event["name"]


def test_participants_read_without_forms_and_outsiders_see_nothing(
    client: FlaskClient, http: httpx.Client
) -> None:
    owner = a_guest(client, http)
    event = an_event(http, owner)
    an_activity(http, event, owner, title="Charla")
    participant = a_member(http, event, owner)
    reader = client.application.test_client()
    log_in(reader, participant.email)
    page = _page(reader, event["id"])
    assert "Charla" in page
    assert 'id="activity-form"' not in page
    assert 'class="quick-edit"' not in page
    refused = submit(
        reader,
        f"/events/{event['id']}/agenda/activities",
        {"title": "Mía", "day": "2027-05-01", "time": "09:00", "duration": "30"},
    )
    assert refused.status_code == 403
    outsider = a_person(http)
    stranger = client.application.test_client()
    log_in(stranger, outsider.email)
    assert stranger.get(f"/events/{event['id']}/agenda").status_code == 404
    anonymous = client.application.test_client()
    login = anonymous.get(f"/events/{event['id']}/agenda")
    assert login.status_code == 302
    assert "/login" in login.headers["Location"]
