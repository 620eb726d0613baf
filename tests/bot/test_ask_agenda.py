"""/today, /now and /next: the timetable of the current event, in its time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.bot.ask_world import an_event_happening_now, linked, only
from tests.bot.conftest import BotDriver
from tests.builders import Person, a_cast_in, a_member, a_person_in, an_activity
from tripbot.system import System


class Day:
    """An event happening now with four activities: one done, one on, one next, one cancelled."""

    def __init__(self, http: httpx.Client, system: System) -> None:
        self.http = http
        self.owner = a_person_in(system)
        self.event = an_event_happening_now(http, self.owner)
        self.zone = ZoneInfo(self.event["timezone"])
        self.member = a_member(http, self.event, self.owner)
        hut = http.post(
            f"/api/v1/events/{self.event['id']}/places",
            json={"name": "Refugio"},
            headers=self.owner.headers,
        ).json()
        self.now = datetime.now(UTC).replace(second=0, microsecond=0)
        self.breakfast = self.activity("Breakfast", -120, -60)
        self.walk = self.activity("Walk", -30, 60, people=[self.owner.id])
        self.lunch = self.activity("Lunch", 120, 180, place_id=hut["id"])
        dinner = self.activity("Dinner", 300, 360)
        cancelled = http.post(
            f"/api/v1/events/{self.event['id']}/activities/{dinner['id']}/cancel",
            headers=self.owner.headers,
        )
        assert cancelled.status_code == 200, cancelled.text

    def activity(self, title: str, start: int, end: int, **fields: Any) -> dict[str, Any]:
        """An activity from ``start`` to ``end`` minutes from now."""
        return an_activity(
            self.http,
            self.event,
            self.owner,
            title=title,
            starts_at=(self.now + timedelta(minutes=start)).isoformat(),
            ends_at=(self.now + timedelta(minutes=end)).isoformat(),
            **fields,
        )

    def local(self, activity: dict[str, Any], field: str = "starts_at") -> str:
        """An activity's start (or end) as hours and minutes in the event's zone."""
        return datetime.fromisoformat(activity[field]).astimezone(self.zone).strftime("%H:%M")


@pytest.fixture
def day(http: httpx.Client, system: System) -> Day:
    """A day of an event happening now."""
    return Day(http, system)


def test_today_lists_the_days_activities_in_the_events_zone(
    bot: BotDriver, system: System, day: Day
) -> None:
    answer = only(bot.say(linked(system, day.member, "en"), "/today"))
    lines = answer.text.splitlines()
    assert lines[0].startswith("Today's outing, ")
    span = f"{day.local(day.breakfast)}\u2013{day.local(day.breakfast, 'ends_at')}"
    assert lines[1] == f"{span} Breakfast"
    assert lines[2].endswith("Walk · " + day.walk["people"][0]["display_name"])
    assert lines[3].endswith("Lunch · Refugio")
    assert lines[4].endswith("Dinner (cancelled)")


def test_today_in_spanish(bot: BotDriver, system: System, day: Day) -> None:
    answer = only(bot.say(linked(system, day.member, "es"), "/hoy"))
    assert answer.text.splitlines()[4].endswith("Dinner (cancelada)")


def test_now_tells_what_is_on_and_what_comes_after(
    bot: BotDriver, system: System, day: Day
) -> None:
    english = only(bot.say(linked(system, day.member, "en"), "/now")).text.splitlines()
    assert english[:2] == ["Now at Today's outing:", f"Walk until {day.local(day.walk, 'ends_at')}"]
    assert english[2].startswith("Then: Lunch, ")
    assert english[2].endswith(day.local(day.lunch))
    spanish = only(bot.say(linked(system, day.member, "es"), "/ahora")).text
    assert spanish.startswith(
        f"Ahora en Today's outing:\nWalk hasta las {day.local(day.walk, 'ends_at')}"
    )


def test_next_lists_what_comes_leaving_out_the_cancelled(
    bot: BotDriver, system: System, day: Day
) -> None:
    answer = only(bot.say(linked(system, day.member, "es"), "/siguiente"))
    lines = answer.text.splitlines()
    assert lines[0] == "Lo siguiente en Today's outing:"
    assert len(lines) == 2
    assert lines[1].endswith(f"{day.local(day.lunch)} Lunch · Refugio")


def test_an_empty_timetable_says_so(bot: BotDriver, system: System) -> None:
    cast = a_cast_in(system)
    ana = linked(system, cast.participant, "en")
    today = only(bot.say(ana, "/today")).text
    assert today.startswith("Nothing on the timetable of Ruta del Cares today (")
    assert only(bot.say(ana, "/now")).text == "Nothing on right now at Ruta del Cares."
    assert only(bot.say(ana, "/next")).text == "Nothing more on the timetable of Ruta del Cares."


def test_a_person_in_two_events_is_asked_which(
    bot: BotDriver, http: httpx.Client, system: System
) -> None:
    owner: Person = a_person_in(system)
    an_event_happening_now(http, owner, name="First")
    an_event_happening_now(http, owner, name="Second")
    ana = linked(system, owner, "en")
    question = only(bot.say(ana, "/next"))
    assert question.text == "Which event?"
    assert [label for label, _ in question.buttons] == ["First", "Second", "Cancel"]
    answer = only(bot.press(ana, question, "Second"))
    assert answer.text == "Nothing more on the timetable of Second."  # /next, finished
    assert only(bot.say(ana, "/next")).text == answer.text  # the private chat now follows it
