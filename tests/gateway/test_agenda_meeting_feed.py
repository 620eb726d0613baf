"""The plan's meeting point and time reach the calendar feed (both databases): the agenda
follows the routes service's feed, so a calendar app's next poll shows the meeting, read back
by ``icalendar`` and by ``ical.js`` (the parser of Thunderbird and many web calendars)."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import icalendar

from tests.builders import Cast, a_cast, an_activity
from tripbot.platform.follow import FeedFollower
from tripbot.system import System, followers_of

AGENDA_TESTS = Path(__file__).parents[1] / "agenda"
ROOT = Path(__file__).parents[2]


def _by_ical_js(text: str) -> dict[str, dict[str, Any]]:
    node = shutil.which("node")
    assert node, "node is needed to read the feed with ical.js (npm ci installs ical.js)"
    answer = subprocess.run(
        [node, str(AGENDA_TESTS / "read_ics.mjs")],
        input=text,
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    read: dict[str, dict[str, Any]] = json.loads(answer.stdout)
    return read


def _plan(http: httpx.Client, cast: Cast, meeting_at: str) -> None:
    answer = http.put(
        f"/api/v1/events/{cast.event['id']}/plan",
        json={
            "meeting_point": "Aparcamiento de Poncebos",
            "meeting_lat": 43.2627,
            "meeting_lon": -4.8331,
            "meeting_at": meeting_at,
        },
        headers=cast.organizer.headers,
    )
    assert answer.status_code == 200, answer.text


def _follow(followers: list[FeedFollower]) -> None:
    for follower in followers:
        follower.run_once()


def test_the_plans_meeting_is_in_the_calendar_feed(http: httpx.Client, system: System) -> None:
    cast = a_cast(http)
    followers = followers_of(system.runtimes["agenda"], system.clients.transports)
    assert [f.source.service for f in followers] == ["events", "routes"]
    activity = an_activity(http, cast.event, cast.organizer)
    token = http.post(
        f"/api/v1/events/{cast.event['id']}/agenda/feed-token", headers=cast.participant.headers
    ).json()["token"]
    url = f"/api/v1/events/{cast.event['id']}/agenda.ics"
    before = http.get(url, params={"token": token})
    _plan(http, cast, "2027-05-01T07:30:00+02:00")
    _follow(followers)

    feed = http.get(url, params={"token": token}, headers={"If-None-Match": before.headers["ETag"]})
    assert feed.status_code == 200  # the calendar app's copy is out of date
    events = {str(e["UID"]): e for e in icalendar.Calendar.from_ical(feed.text).walk("VEVENT")}
    (meeting_uid,) = set(events) - {activity["uid"]}
    meeting = events[meeting_uid]
    assert str(meeting["SUMMARY"]) == "🚩 Aparcamiento de Poncebos"
    assert str(meeting["LOCATION"]) == "Aparcamiento de Poncebos"
    assert meeting.decoded("GEO") == (43.2627, -4.8331)
    by_js = _by_ical_js(feed.text)
    half_past_seven = datetime.fromisoformat("2027-05-01T07:30:00+02:00").timestamp()
    assert by_js[meeting_uid]["start"] == half_past_seven
    assert by_js[meeting_uid]["end"] == half_past_seven + 15 * 60
    assert by_js[meeting_uid]["summary"] == "🚩 Aparcamiento de Poncebos"
    assert by_js[activity["uid"]]["summary"] == activity["title"]

    # The organizers move the meeting: the next poll has the new time, under the same UID.
    _plan(http, cast, "2027-05-01T08:00:00+02:00")
    _follow(followers)
    moved = http.get(url, params={"token": token}, headers={"If-None-Match": feed.headers["ETag"]})
    assert moved.status_code == 200
    assert _by_ical_js(moved.text)[meeting_uid]["start"] == half_past_seven + 30 * 60
