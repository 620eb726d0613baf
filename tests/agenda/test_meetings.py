"""An excursion's meeting point and time, kept by the agenda from the routes service's feed
(both databases): it goes into the calendar feed with its place, changes the feed's ETag when it
changes, and goes with the event."""

from __future__ import annotations

from typing import Any

import icalendar

from tests.agenda.conftest import Club
from tripbot.agenda import service
from tripbot.agenda.models import Agenda, Meeting
from tripbot.agenda.schemas import CalendarQuery
from tripbot.agenda.service.meetings import learn_meeting


def plan(club: Club, **said: Any) -> dict[str, Any]:
    """A plan.updated change of the routes service's feed, as its payload reads."""
    return {
        "event_id": club.event.id,
        "by": 1,
        "routes": [],
        "meeting_point": "Aparcamiento de Poncebos",
        "meeting_lat": 43.2627,
        "meeting_lon": -4.8331,
        "meeting_at": "2027-05-01T05:45:00+00:00",
        "capacity": None,
        **said,
    }


def learn(club: Club, **said: Any) -> bool:
    return learn_meeting(club.database.unit_of_work(), plan(club, **said))


def feed(club: Club) -> tuple[str, list[icalendar.cal.Component]]:
    answer = club.run("participant", service.calendar_feed, club.event.id, CalendarQuery())
    assert answer.body is not None
    return answer.etag, list(icalendar.Calendar.from_ical(answer.body).walk("VEVENT"))


def test_the_meeting_goes_into_the_calendar_feed_with_its_place(club: Club) -> None:
    etag, events = feed(club)
    assert events == []
    assert learn(club) is True
    changed, events = feed(club)
    assert changed != etag
    (meeting,) = events
    assert str(meeting["SUMMARY"]) == "🚩 Aparcamiento de Poncebos"
    assert str(meeting["LOCATION"]) == "Aparcamiento de Poncebos"
    assert meeting.decoded("GEO") == (43.2627, -4.8331)
    # 07:45 in Madrid, written in the event's time zone, for a quarter of an hour.
    assert meeting["DTSTART"].to_ical() == b"20270501T074500"
    assert meeting["DTSTART"].params["TZID"] == "Europe/Madrid"
    assert meeting["DTEND"].to_ical() == b"20270501T080000"
    assert meeting.decoded("SEQUENCE") == 0


def test_the_same_news_twice_changes_nothing_and_a_new_time_raises_the_sequence(
    club: Club,
) -> None:
    assert learn(club) is True
    etag, (first,) = feed(club)
    assert learn(club) is False  # the same change handed over again
    assert feed(club)[0] == etag
    assert learn(club, meeting_at="2027-05-01T06:15:00+00:00") is True
    later, (moved,) = feed(club)
    assert later != etag
    assert (str(moved["UID"]), moved.decoded("SEQUENCE")) == (str(first["UID"]), 1)
    assert moved["DTSTART"].to_ical() == b"20270501T081500"


def test_a_plan_without_a_time_shows_no_meeting(club: Club) -> None:
    assert learn(club, meeting_at=None) is False  # nothing to keep yet
    assert club.count(Meeting) == 0
    learn(club)
    assert learn(club, meeting_at=None, meeting_lat=None, meeting_lon=None) is True
    assert feed(club)[1] == []


def test_a_meeting_without_a_point_is_named_after_the_event(club: Club) -> None:
    learn(club, meeting_point="", meeting_lat=None, meeting_lon=None)
    (meeting,) = feed(club)[1]
    assert str(meeting["SUMMARY"]) == "🚩 Ruta del Cares"
    assert "LOCATION" not in meeting
    assert "GEO" not in meeting


def test_the_meeting_goes_with_its_event(club: Club) -> None:
    learn(club)
    assert service.forget_event(club.database.unit_of_work(), club.event.id) is True
    assert (club.count(Meeting), club.count(Agenda)) == (0, 0)
