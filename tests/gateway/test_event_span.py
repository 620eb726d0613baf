"""An event lasts at most 366 days (through the API and the web form, in Spanish and English),
and the agenda's exports hold the event's days and the days with activities, never the empty
years between them."""

from __future__ import annotations

import httpx
from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests.builders import a_cast, a_person, activity_payload, an_activity, an_event, event_payload
from tests.gateway.test_web_events import NEW_EVENT
from tests.gateway.test_web_pages import a_guest, log_in, submit
from tests.problems import assert_problem
from tripbot.agenda.models import Activity
from tripbot.events.models import Event
from tripbot.system import System

TOO_LONG = "an event may last at most 366 days; split a longer one into several events"
DEMASIADO_LARGO = (
    "Un evento puede durar como mucho 366 días; divide uno más largo en varios eventos."
)


def _events(system: System) -> int:
    with system.databases["events"].unit_of_work() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(Event)) or 0)


def test_the_api_refuses_an_event_longer_than_366_days(system: System, http: httpx.Client) -> None:
    owner = a_person(http)
    year_one = event_payload(starts_at="0001-01-01T00:00:00Z", ends_at="9999-12-31T00:00:00Z")
    english = http.post("/api/v1/events", json=year_one, headers=owner.headers)
    body = assert_problem(english, 422, "invalid-input", f"ends_at: {TOO_LONG}")
    assert [(e["field"], e["message_id"]) for e in body["errors"]] == [("ends_at", TOO_LONG)]
    spanish = {**owner.headers, "Accept-Language": "es"}
    a_day_too_long = event_payload(starts_at="2027-01-01T00:00:00Z", ends_at="2028-01-02T00:00:01Z")
    answer = http.post("/api/v1/events", json=a_day_too_long, headers=spanish)
    assert DEMASIADO_LARGO.rstrip(".") in assert_problem(answer, 422, "invalid-input")["detail"]
    assert _events(system) == 0
    longest = an_event(
        http, owner, starts_at="2027-01-01T00:00:00Z", ends_at="2028-01-02T00:00:00Z"
    )
    stretched = http.patch(
        f"/api/v1/events/{longest['id']}",
        json={"ends_at": "2099-01-01T00:00:00Z"},
        headers=spanish,
    )
    assert_problem(stretched, 422, "invalid-input", DEMASIADO_LARGO.rstrip("."))
    kept = http.get(f"/api/v1/events/{longest['id']}", headers=owner.headers).json()
    assert kept["ends_at"] == longest["ends_at"]


def test_the_web_form_says_why_an_event_is_too_long_in_both_languages(
    system: System, client: FlaskClient, http: httpx.Client
) -> None:
    a_guest(client, http)
    too_long = {**NEW_EVENT, "starts_at": "0001-01-01T08:00", "ends_at": "9999-12-31T18:00"}
    spanish = submit(client, "/events/new", too_long)
    assert spanish.status_code == 422
    assert DEMASIADO_LARGO in spanish.text
    submit(client, "/language", {"language": "en"})
    english = submit(client, "/events/new", too_long)
    assert english.status_code == 422
    assert "An event may last at most 366 days; split a longer one into several events." in (
        english.text
    )
    assert _events(system) == 0


def test_the_frab_export_holds_only_days_of_the_event_or_with_activities(
    http: httpx.Client,
) -> None:
    cast = a_cast(http)
    event = cast.event
    for day in ("2026-05-05", "2027-05-01", "2028-04-25"):  # a year apart, either side
        starts, ends = f"{day}T08:00:00+02:00", f"{day}T09:00:00+02:00"
        an_activity(http, event, cast.organizer, starts_at=starts, ends_at=ends)
    answer = http.get(f"/api/v1/events/{event['id']}/agenda.json", headers=cast.owner.headers)
    assert answer.status_code == 200, answer.text
    conference = answer.json()["schedule"]["conference"]
    dates = [day["date"] for day in conference["days"]]
    assert dates == ["2026-05-05", "2027-05-01", "2028-04-25"]  # not the 722 days between
    assert conference["daysCount"] == 3


def test_an_activity_stays_within_a_year_of_its_event(system: System, http: httpx.Client) -> None:
    cast = a_cast(http)
    activities = f"/api/v1/events/{cast.event['id']}/activities"
    spanish = {**cast.organizer.headers, "Accept-Language": "es"}
    for starts, ends, field in (
        ("9999-12-31T10:00:00Z", "9999-12-31T11:00:00Z", "ends_at"),
        ("0001-01-01T10:00:00Z", "0001-01-01T11:00:00Z", "starts_at"),
        ("2028-05-02T10:00:00Z", "2028-05-02T11:00:00Z", "ends_at"),
    ):
        body = activity_payload(starts_at=starts, ends_at=ends)
        english = http.post(activities, json=body, headers=cast.organizer.headers)
        problem = assert_problem(
            english,
            422,
            "invalid-input",
            "within a year of its event's dates, between 2026-04-30 and 2028-05-01",
        )
        assert problem["field"] == field
        answer = http.post(activities, json=body, headers=spanish)
        assert_problem(answer, 422, "invalid-input", "a menos de un año de las fechas de su evento")
    with system.databases["agenda"].unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Activity)) == 0
    kept = an_activity(http, cast.event, cast.organizer)
    far = {"starts_at": "9999-12-31T10:00:00Z", "ends_at": "9999-12-31T11:00:00Z"}
    moved = http.patch(f"{activities}/{kept['id']}", json=far, headers=cast.organizer.headers)
    assert_problem(moved, 422, "invalid-input", "within a year of its event's dates")


def test_the_exports_of_an_event_at_the_end_of_the_calendar_still_answer(
    http: httpx.Client, client: FlaskClient
) -> None:
    owner = a_person(http)
    last = an_event(
        http,
        owner,
        starts_at="9999-12-30T08:00:00Z",
        ends_at="9999-12-31T12:00:00Z",
        timezone="UTC",
    )
    an_activity(http, last, owner, starts_at="9999-12-31T10:00:00Z", ends_at="9999-12-31T11:00:00Z")
    base = f"/api/v1/events/{last['id']}"
    calendar = http.get(f"{base}/agenda.ics", headers=owner.headers)
    assert calendar.status_code == 200, calendar.text
    assert "DTSTART;TZID=UTC:99991231T100000" in calendar.text
    schedule = http.get(f"{base}/agenda.json", headers=owner.headers)
    assert schedule.status_code == 200, schedule.text
    days = schedule.json()["schedule"]["conference"]["days"]
    assert [day["date"] for day in days] == ["9999-12-30", "9999-12-31"]
    log_in(client, owner.email)
    for page in ("/agenda", "/agenda/export.ics", "/agenda/export.json"):
        answer = client.get(f"/events/{last['id']}{page}")
        assert answer.status_code == 200, (page, answer.text[-500:])
