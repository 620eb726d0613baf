"""The calendar feed read back by three independent parsers, Python's ``icalendar`` and
``vobject`` and JavaScript's ``ical.js`` (run by node): every instant lands where it is, also in
the hour skipped when summer time starts and the hour repeated when it ends, and text with
control characters still parses."""

from __future__ import annotations

import json
import shutil
import subprocess
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import icalendar
import pytest
import vobject

from tripbot.agenda import ical

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
MADRID = "Europe/Madrid"
Instants = dict[str, tuple[float, float]]


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# Madrid, 2027: summer time starts on 28 March at 01:00 UTC (02:00 becomes 03:00) and ends on
# 31 October at 01:00 UTC (03:00 becomes 02:00, so 02:00-02:59 happens twice).
ACTIVITIES: dict[str, tuple[str, str]] = {
    "summer-day": ("2027-07-10T07:00:00", "2027-07-10T08:30:00"),
    "winter-day": ("2027-12-04T08:00:00", "2027-12-04T09:00:00"),
    "repeated-first-to-second": ("2027-10-31T00:30:00", "2027-10-31T01:15:00"),  # 02:30 → 02:15
    "repeated-second": ("2027-10-31T01:30:00", "2027-10-31T02:30:00"),  # 02:30 (2nd) → 03:30
    "into-the-repeated-hour": ("2027-10-30T23:30:00", "2027-10-31T00:30:00"),  # 01:30 → 02:30
    "across-the-change": ("2027-10-30T23:00:00", "2027-10-31T02:00:00"),  # 01:00 → 03:00
    "just-after-the-change": ("2027-10-31T02:00:00", "2027-10-31T03:00:00"),  # 03:00 → 04:00
    "over-the-skipped-hour": ("2027-03-28T00:30:00", "2027-03-28T01:30:00"),  # 01:30 → 03:30
    "right-after-the-jump": ("2027-03-28T01:00:00", "2027-03-28T02:00:00"),  # 03:00 → 04:00
    "just-before-the-jump": ("2027-03-28T00:00:00", "2027-03-28T00:59:00"),  # 01:00 → 01:59
}


def _feed(titles: dict[str, str] | None = None) -> str:
    made = _utc("2027-01-10T10:00:00")
    events = [
        ical.FeedEvent(
            uid=uid,
            title=(titles or {}).get(uid, uid),
            description="",
            starts_at=_utc(start),
            ends_at=_utc(end),
            location=None,
            people=(),
            track="",
            cancelled=False,
            sequence=0,
            created_at=made,
            updated_at=made,
        )
        for uid, (start, end) in ACTIVITIES.items()
    ]
    return ical.render("Jornadas", MADRID, events)


def _by_icalendar(text: str) -> Instants:
    calendar = icalendar.Calendar.from_ical(text)
    return {
        str(e["UID"]): (e.decoded("DTSTART").timestamp(), e.decoded("DTEND").timestamp())
        for e in calendar.walk("VEVENT")
    }


def _by_vobject(text: str) -> Instants:
    calendar = vobject.readOne(text)
    return {
        e.uid.value: (e.dtstart.value.timestamp(), e.dtend.value.timestamp())
        for e in calendar.vevent_list
    }


def _by_ical_js(text: str) -> Instants:
    node = shutil.which("node")
    assert node, "node is needed to read the feed with ical.js (npm ci installs ical.js)"
    assert (ROOT / "node_modules" / "ical.js").is_dir(), "run npm ci (make setup)"
    answer = subprocess.run(
        [node, str(HERE / "read_ics.mjs")],
        input=text,
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return {uid: (v["start"], v["end"]) for uid, v in json.loads(answer.stdout).items()}


PARSERS: dict[str, Callable[[str], Instants]] = {
    "icalendar": _by_icalendar,
    "vobject": _by_vobject,
    "ical.js": _by_ical_js,
}


@pytest.mark.parametrize("parser", sorted(PARSERS))
def test_every_parser_reads_every_instant_also_when_the_clocks_change(parser: str) -> None:
    read = PARSERS[parser](_feed())
    truth = {
        uid: (_utc(start).timestamp(), _utc(end).timestamp())
        for uid, (start, end) in ACTIVITIES.items()
    }
    wrong = {
        uid: (
            str(timedelta(seconds=read[uid][0] - truth[uid][0])),
            str(timedelta(seconds=read[uid][1] - truth[uid][1])),
        )
        for uid in truth
        if read.get(uid) != truth[uid]
    }
    assert wrong == {}, f"{parser} reads these off by (start, end): {wrong}"
    assert all(end > start for start, end in read.values())


def test_only_instants_in_the_repeated_hour_are_written_in_utc() -> None:
    events = _feed().split("BEGIN:VEVENT", 1)[1]
    lines = events.split("\r\n")
    utc = sorted(line for line in lines if line.startswith(("DTSTART:", "DTEND:")))
    assert utc == [
        "DTEND:20271031T003000Z",
        "DTEND:20271031T011500Z",
        "DTSTART:20271031T003000Z",
        "DTSTART:20271031T013000Z",
    ]
    assert "DTSTART;TZID=Europe/Madrid:20270328T033000" not in lines
    assert "DTEND;TZID=Europe/Madrid:20270328T033000" in lines


@pytest.mark.parametrize("parser", sorted(PARSERS))
def test_control_characters_in_titles_are_left_out_and_the_feed_parses(parser: str) -> None:
    hostile = "Salida\x00 al\x07 refugio\x1b[31m\x7f; ver\x0bmás"
    text = _feed({"summer-day": hostile})
    assert not ical.CONTROL.search(text.replace("\r\n", ""))
    read = PARSERS[parser](text)
    assert len(read) == len(ACTIVITIES)
    assert icalendar.Calendar.from_ical(text).walk("VEVENT")[0]["SUMMARY"] == (
        "Salida al refugio[31m; vermás"
    )


@pytest.mark.parametrize("parser", sorted(PARSERS))
def test_unicode_controls_and_line_separators_never_break_a_content_line(parser: str) -> None:
    # NEL (U+0085, a C1 control) and U+2028/U+2029 are line breaks to readers that split on any
    # Unicode line boundary (Python's str.splitlines among them): the feed must hold none.
    hostile = "Salida\x85al\x9b refugio\u2028por la tarde\u2029fin"
    text = _feed({"summer-day": hostile})
    assert text.splitlines() == text.split("\r\n")[:-1]
    assert not [c for c in text if unicodedata.category(c) == "Cc" and c not in "\r\n"]
    assert len(PARSERS[parser](text)) == len(ACTIVITIES)
    summary = icalendar.Calendar.from_ical(text).walk("VEVENT")[0]["SUMMARY"]
    assert summary == "Salidaal refugio\npor la tarde\nfin"
