"""The calendar feed is valid iCalendar: parsed back with the ``icalendar`` library, it says
what calendar apps need (UID, DTSTAMP, TZID with its VTIMEZONE, SEQUENCE, STATUS, METHOD)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.agenda.conftest import Club
from tests.agenda.test_service import a_place, an_activity, at, change
from tripbot.agenda import ical, service
from tripbot.agenda.schemas import ActivityCreate, CalendarQuery

MADRID = ZoneInfo("Europe/Madrid")


def _feed(club: Club) -> icalendar.Calendar:
    feed = club.run("participant", service.calendar_feed, club.event.id, CalendarQuery())
    assert feed.body is not None
    assert "\r\n" in feed.body
    assert "\n" not in feed.body.replace("\r\n", "")
    assert all(len(line.encode()) <= 75 for line in feed.body.split("\r\n"))
    return icalendar.Calendar.from_ical(feed.body)


def _events(calendar: icalendar.Calendar) -> dict[str, icalendar.Component]:
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def test_the_feed_parses_back_with_everything_calendar_apps_need(club: Club) -> None:
    hut = a_place(club, "Refugio; Cabaña, sur")
    guide = club.people["participant"]
    made = an_activity(
        club,
        "08:00",
        "09:30",
        title="Desayuno, café; y \\ más",
        description="Línea uno\nLínea dos " + "ñ" * 80,
        place_id=hut.id,
        people=[guide.id],
        track="Montaña",
    )
    calendar = _feed(club)
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["X-WR-CALNAME"]) == club.event.name
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Madrid"]
    assert calendar.get_missing_tzids() == set()

    event = _events(calendar)[made.uid]
    assert str(event["SUMMARY"]) == "Desayuno, café; y \\ más"
    assert (
        str(event["DESCRIPTION"]) == f"Línea uno\nLínea dos {'ñ' * 80}\n\n👥 {guide.display_name}"
    )
    assert str(event["LOCATION"]) == "Refugio; Cabaña, sur"
    assert event["DTSTART"].params["TZID"] == "Europe/Madrid"
    assert event.decoded("DTSTART") == datetime(2027, 5, 1, 8, 0, tzinfo=MADRID)
    assert event.decoded("DTEND") == datetime(2027, 5, 1, 9, 30, tzinfo=MADRID)
    assert event.decoded("DTSTAMP") == made.updated_at.replace(microsecond=0)
    assert event.decoded("LAST-MODIFIED") == made.updated_at.replace(microsecond=0)
    assert event.decoded("SEQUENCE") == 0
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event.decoded("CATEGORIES") == ["Montaña"]


def test_a_uid_is_random_and_says_nothing_about_the_host_or_people(club: Club) -> None:
    made = an_activity(club)
    uid = next(iter(_events(_feed(club))))
    assert uid == made.uid
    assert "@" not in uid
    assert len(uid) == 36


def test_moves_and_cancellations_raise_the_sequence_and_stay_in_the_feed(club: Club) -> None:
    made = an_activity(club)
    change(club, made, starts_at=at("10:00"), ends_at=at("11:00"))
    moved = _events(_feed(club))[made.uid]
    assert (moved.decoded("SEQUENCE"), str(moved["STATUS"])) == (1, "CONFIRMED")
    assert moved.decoded("DTSTART") == datetime(2027, 5, 1, 10, 0, tzinfo=MADRID)

    club.run("organizer", service.cancel_activity, club.event.id, made.id)
    cancelled = _events(_feed(club))[made.uid]
    assert cancelled.decoded("SEQUENCE") == 2
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert cancelled.decoded("LAST-MODIFIED") > moved.decoded("LAST-MODIFIED") - timedelta(
        seconds=1
    )


def test_an_empty_agenda_is_still_a_valid_calendar(club: Club) -> None:
    calendar = _feed(club)
    assert _events(calendar) == {}
    assert len(calendar.walk("VTIMEZONE")) == 1


def test_the_vtimezone_covers_every_year_of_the_activities(club: Club) -> None:
    data = ActivityCreate(
        title="Nochevieja",
        starts_at=datetime(2027, 12, 31, 23, 0, tzinfo=MADRID),
        ends_at=datetime(2028, 1, 1, 1, 0, tzinfo=MADRID),
    )
    club.run("organizer", service.add_activity, club.event.id, data)
    text = club.run("participant", service.calendar_feed, club.event.id, CalendarQuery()).body or ""
    assert "COMMENT:This timezone only works from 2027-01-01 to 2029-01-01." in text


@given(st.text(st.characters(exclude_categories=("Cs", "Cc")) | st.sampled_from("\n,;\\:")))
def test_any_text_survives_escaping_and_folding(text: str) -> None:
    line = ical.fold(f"SUMMARY:{ical.escape(text)}")
    assert all(len(part.encode()) <= 75 for part in line.split("\r\n"))
    event = icalendar.Event.from_ical(f"BEGIN:VEVENT\r\n{line}\r\nEND:VEVENT\r\n")
    assert str(event["SUMMARY"]) == text.replace("\r\n", "\n")


@pytest.mark.parametrize("tzid", ["UTC", "America/Argentina/Buenos_Aires", "Asia/Kolkata"])
def test_any_time_zone_is_written_with_its_own_vtimezone(tzid: str) -> None:
    zone = ZoneInfo(tzid)
    stamp = datetime(2027, 5, 1, 6, 0, tzinfo=UTC)
    event = ical.FeedEvent(
        uid="3f1d3c2e-0000-4000-8000-000000000000",
        title="T",
        description="",
        starts_at=stamp,
        ends_at=stamp + timedelta(hours=1),
        location=None,
        people=(),
        track="",
        cancelled=False,
        sequence=0,
        created_at=stamp,
        updated_at=stamp,
    )
    calendar = icalendar.Calendar.from_ical(ical.render("Club", tzid, [event]))
    assert calendar.get_missing_tzids() == set()
    parsed = calendar.walk("VEVENT")[0]
    assert parsed.decoded("DTSTART") == stamp.astimezone(zone)
    assert parsed.decoded("DTSTART").utcoffset() == stamp.astimezone(zone).utcoffset()
