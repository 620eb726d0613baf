"""The agenda as an iCalendar feed (RFC 5545) that calendar apps subscribe to.

The events are written directly as content lines: for a feed of thousands of activities that is
two orders of magnitude faster than building ``icalendar`` components (see bench/agenda.py), and
what is written is checked in the tests by parsing it back with three parsers (``icalendar``,
``vobject`` and the JavaScript ``ical.js``). The VTIMEZONE, the one intricate part, comes from
``icalendar`` itself, cached per zone and range of years.

Times are written in the event's time zone (TZID), except an instant whose local time happens
twice, in the hour repeated when summer time ends: "02:30 Europe/Madrid" on the last Sunday of
October names two instants, and parsers pick one (most the first). Such an instant is written in
UTC, which every parser reads right. (An instant never falls in the hour skipped when summer
time starts: it is written as the local time it is, after the jump.)
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Timezone

from tripbot import __version__

CRLF = "\r\n"
LAST_RULE_YEAR = 9998
MAX_OCTETS = 75
PRODID = f"-//TripBot//Agenda {__version__}//EN"
REFRESH = "PT30M"
"""How often calendar apps are asked to poll; an unchanged feed costs them a 304."""


@dataclass(frozen=True, slots=True)
class FeedEvent:
    """One activity as the feed shows it."""

    uid: str
    title: str
    description: str
    starts_at: datetime
    ends_at: datetime
    location: str | None
    people: tuple[str, ...]
    track: str
    cancelled: bool
    sequence: int
    created_at: datetime
    updated_at: datetime
    geo: tuple[float, float] | None = None
    """Latitude and longitude, where the place is known (an excursion's meeting point)."""


CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
"""Control characters, which an iCalendar TEXT may not hold (tab, CR and LF are handled): C0,
DEL and the C1 block, whose NEL (U+0085) readers that split on any Unicode line break take for
the end of a content line."""


def escape(text: str) -> str:
    """A TEXT value without control characters, its backslashes, semicolons, commas and
    newlines escaped."""
    # Chained replace is several times faster than str.translate for these few characters.
    return (
        CONTROL.sub("", text)
        .replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "")
        # Line and paragraph separators end a line for such readers too: keep them as newlines.
        .replace("\u2028", "\\n")
        .replace("\u2029", "\\n")
    )


def fold(line: str) -> str:
    """A content line folded at 75 octets, never inside a UTF-8 character."""
    if line.isascii():
        if len(line) <= MAX_OCTETS:
            return line
        rest = line[MAX_OCTETS:]
        step = MAX_OCTETS - 1
        return "\r\n ".join(
            [line[:MAX_OCTETS], *(rest[i : i + step] for i in range(0, len(rest), step))]
        )
    encoded = line.encode()
    if len(encoded) <= MAX_OCTETS:
        return line
    parts: list[str] = []
    start, limit = 0, MAX_OCTETS
    while start < len(encoded):
        end = min(start + limit, len(encoded))
        while end < len(encoded) and encoded[end] & 0xC0 == 0x80:
            end -= 1  # back off to the first byte of a character
        parts.append(encoded[start:end].decode())
        start, limit = end, MAX_OCTETS - 1  # continuation lines start with a space
    return "\r\n ".join(parts)


_STAMP = "%04d%02d%02dT%02d%02d%02d"  # %-formatting is the fastest way here (see the bench)


def utc_stamp(moment: datetime) -> str:
    """An instant as a UTC DATE-TIME (``20270501T060000Z``)."""
    m = moment if moment.tzinfo is UTC else moment.astimezone(UTC)
    return _STAMP % (m.year, m.month, m.day, m.hour, m.minute, m.second) + "Z"


def local_stamp(moment: datetime, zone: ZoneInfo) -> str:
    """An instant as a local DATE-TIME in a zone, for a property with that TZID."""
    m = moment.astimezone(zone)
    return _STAMP % (m.year, m.month, m.day, m.hour, m.minute, m.second)


def repeated(local: datetime) -> bool:
    """Whether a local time happens twice (the hour repeated when summer time ends)."""
    return local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset()


def when(name: str, moment: datetime, tzid: str, zone: ZoneInfo) -> str:
    """A DTSTART or DTEND line: local time with its TZID, or UTC when the local time repeats."""
    m = moment.astimezone(zone)
    if repeated(m):
        return f"{name}:{utc_stamp(moment)}"
    return f"{name};TZID={tzid}:" + _STAMP % (m.year, m.month, m.day, m.hour, m.minute, m.second)


@lru_cache(maxsize=64)
def vtimezone(tzid: str, first_year: int, last_year: int) -> str:
    """The VTIMEZONE of a zone for the years given, as content lines (cached: it is slow)."""
    component = Timezone.from_tzid(
        tzid, first_date=date(first_year, 1, 1), last_date=date(last_year + 1, 1, 1)
    )
    text: str = component.to_ical().decode()
    return text.replace(CRLF, "\n").strip("\n").replace("\n", CRLF)


def _event_lines(event: FeedEvent, tzid: str, zone: ZoneInfo) -> list[str]:
    description = event.description
    if event.people:
        description = f"{description}\n\n👥 {', '.join(event.people)}".lstrip("\n")
    modified = utc_stamp(event.updated_at)
    lines = [
        "BEGIN:VEVENT",
        f"UID:{event.uid}",
        f"DTSTAMP:{modified}",
        f"CREATED:{utc_stamp(event.created_at)}",
        f"LAST-MODIFIED:{modified}",
        f"SEQUENCE:{event.sequence}",
        when("DTSTART", event.starts_at, tzid, zone),
        when("DTEND", event.ends_at, tzid, zone),
        fold(f"SUMMARY:{escape(event.title)}"),
    ]
    if description:
        lines.append(fold(f"DESCRIPTION:{escape(description)}"))
    if event.location:
        lines.append(fold(f"LOCATION:{escape(event.location)}"))
    if event.geo is not None:
        lines.append(f"GEO:{event.geo[0]:.6f};{event.geo[1]:.6f}")
    if event.track:
        lines.append(fold(f"CATEGORIES:{escape(event.track)}"))
    if event.cancelled:
        lines += ["STATUS:CANCELLED", "TRANSP:TRANSPARENT"]
    else:
        lines += ["STATUS:CONFIRMED", "TRANSP:OPAQUE"]
    lines.append("END:VEVENT")
    return lines


def render(name: str, tzid: str, events: Iterable[FeedEvent]) -> str:
    """The whole feed: a published calendar in the event's time zone, with its VTIMEZONE."""
    zone = ZoneInfo(tzid)
    body: list[str] = []
    years: set[int] = set()
    for event in events:
        years.add(event.starts_at.astimezone(zone).year)
        years.add(event.ends_at.astimezone(zone).year)
        body.extend(_event_lines(event, tzid, zone))
    if not years:
        years.add(datetime.now(UTC).year)
    head = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        fold(f"X-WR-CALNAME:{escape(name)}"),
        f"X-WR-TIMEZONE:{tzid}",
        f"REFRESH-INTERVAL;VALUE=DURATION:{REFRESH}",
        f"X-PUBLISHED-TTL:{REFRESH}",
        # The zone's rules end the year before the last a date can hold (9999 is its own end).
        vtimezone(tzid, min(years), min(max(years), LAST_RULE_YEAR)),
    ]
    return CRLF.join([*head, *body, "END:VCALENDAR", ""])
