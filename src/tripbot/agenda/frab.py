"""The agenda as a frab/c3voc schedule JSON document, the format pretalx and conference apps
(Giggity, ConfClerk, the c3voc tools) read. Shape: https://c3voc.de/schedule/schema.json."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tripbot import __version__
from tripbot.events.schemas import MAX_EVENT_DAYS

SCHEMA_URL = "https://c3voc.de/schedule/schema.json"
TIMESLOT = "00:15"
NO_PLACE = "General"
"""The room of activities that have no place (frab files every event under a room)."""
# The published schema only accepts zone names of this shape; others are left out (the times
# carry their offsets anyway).
_ZONE_NAME = re.compile(r"^([A-Z][a-z]+/[A-Z][a-z]+)|UTC$")


@dataclass(frozen=True, slots=True)
class Room:
    """A place as a frab room."""

    uid: str
    name: str
    description: str
    capacity: int | None


@dataclass(frozen=True, slots=True)
class Talk:
    """An activity as a frab event."""

    id: int
    uid: str
    title: str
    description: str
    starts_at: datetime
    ends_at: datetime
    room: str | None
    people: tuple[str, ...]
    track: str


@dataclass(frozen=True, slots=True)
class Conference:
    """The event the schedule is of."""

    id: int
    name: str
    description: str
    starts_at: datetime
    ends_at: datetime
    timezone: str


def _duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _talk(talk: Talk, conference: Conference, zone: ZoneInfo, base_url: str) -> dict[str, Any]:
    start = talk.starts_at.astimezone(zone)
    return {
        "id": talk.id,
        "guid": talk.uid,
        "date": start.isoformat(),
        "start": start.strftime("%H:%M"),
        "duration": _duration(talk.ends_at - talk.starts_at),
        "room": talk.room or NO_PLACE,
        "slug": f"tripbot_{conference.id}-{talk.id}",
        "url": f"{base_url}/events/{conference.id}/agenda#activity-{talk.id}",
        "title": talk.title,
        "subtitle": "",
        "track": talk.track or None,
        "type": "other",
        "language": "",
        "abstract": "",
        "description": talk.description,
        "persons": [{"name": name} for name in talk.people],
        "links": [],
        "attachments": [],
    }


def _day_end(day: date, zone: ZoneInfo) -> datetime:
    """The midnight a day ends at; the last day a date can hold ends at its last instant."""
    if day == date.max:
        return datetime.combine(day, time.max, zone)
    return datetime.combine(day + timedelta(days=1), time(0), zone)


def _consecutive(first: date, last: date) -> set[date]:
    return {first + timedelta(days=n) for n in range((last - first).days + 1)}


def _days(conference: Conference, talks: Sequence[Talk], zone: ZoneInfo) -> list[date]:
    """Every day from the first to the last that has the event or an activity, when they are at
    most as far apart as an event may last; otherwise only those days. Never the empty years
    between a far-off activity and the event, which made one document of millions of days."""
    first = conference.starts_at.astimezone(zone).date()
    # No more days than an event may last, also for one stored before that bound.
    last = conference.ends_at.astimezone(zone).date()
    if (last - first).days > MAX_EVENT_DAYS:
        last = first + timedelta(days=MAX_EVENT_DAYS)
    days = _consecutive(first, last) | {t.starts_at.astimezone(zone).date() for t in talks}
    if (max(days) - min(days)).days <= MAX_EVENT_DAYS:
        days = _consecutive(min(days), max(days))
    return sorted(days)


def schedule(
    conference: Conference,
    rooms: Sequence[Room],
    talks: Sequence[Talk],
    *,
    version: str,
    base_url: str,
) -> dict[str, Any]:
    """The schedule document: every day of the event, each with its rooms and their talks.

    ``talks`` are sorted by start; a talk belongs to the day (in the event's zone) it starts on.
    """
    zone = ZoneInfo(conference.timezone)
    base_url = base_url.rstrip("/")
    room_list = [
        {"name": r.name, "guid": r.uid, "description": r.description, "capacity": r.capacity}
        for r in rooms
    ]
    room_names = [r.name for r in rooms]
    if any(t.room is None for t in talks):
        general = uuid.uuid5(uuid.NAMESPACE_URL, f"tripbot:agenda:{conference.id}:general")
        room_list.append({"name": NO_PLACE, "guid": str(general), "description": None})
        room_names.append(NO_PLACE)
    by_day: dict[date, dict[str, list[dict[str, Any]]]] = {}
    days = _days(conference, talks, zone)
    for day in days:
        by_day[day] = {name: [] for name in room_names}
    for talk in talks:
        day = talk.starts_at.astimezone(zone).date()
        by_day[day][talk.room or NO_PLACE].append(_talk(talk, conference, zone, base_url))
    conference_doc: dict[str, Any] = {
        "acronym": f"tripbot_{conference.id}",
        "title": conference.name,
        "description": conference.description,
        "start": days[0].isoformat(),
        "end": days[-1].isoformat(),
        "daysCount": len(days),
        "timeslot_duration": TIMESLOT,
        "url": f"{base_url}/events/{conference.id}/agenda",
        "rooms": room_list,
        "tracks": [{"name": name} for name in sorted({t.track for t in talks if t.track})],
        "days": [
            {
                "index": index,
                "date": day.isoformat(),
                "day_start": datetime.combine(day, time(0), zone).isoformat(),
                "day_end": _day_end(day, zone).isoformat(),
                "rooms": by_day[day],
            }
            for index, day in enumerate(days, start=1)
        ],
    }
    if _ZONE_NAME.match(conference.timezone):
        conference_doc["time_zone_name"] = conference.timezone
    return {
        "$schema": SCHEMA_URL,
        "generator": {"name": "TripBot", "version": __version__},
        "schedule": {"version": version, "base_url": f"{base_url}/", "conference": conference_doc},
    }
