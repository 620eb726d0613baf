"""The schedule export validates against the published frab/c3voc schedule JSON schema.

``data/c3voc-schedule.schema.json`` is the schema published in the voc/schedule repository
(validator/json/schema.json, as https://c3voc.de/schedule/schema.json), with its two ``// TODO``
comment lines removed so that it is plain JSON.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.agenda.conftest import Club
from tests.agenda.test_service import a_place, an_activity
from tripbot.agenda import service
from tripbot.agenda.schemas import ActivityCreate
from tripbot.platform.errors import NotFound

SCHEMA = json.loads(
    Path(__file__).with_name("data").joinpath("c3voc-schedule.schema.json").read_text()
)


def _validate(document: dict[str, Any]) -> None:
    validator = jsonschema.Draft6Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors]


def _export(club: Club) -> dict[str, Any]:
    document = club.run("participant", service.schedule_export, club.event.id)
    travelled: dict[str, Any] = json.loads(document.content)
    return travelled


def test_the_published_schema_rejects_what_is_not_a_schedule() -> None:
    validator = jsonschema.Draft6Validator(SCHEMA)
    assert not validator.is_valid({"schedule": {"version": "1"}})
    assert not validator.is_valid({"schedule": {"version": "1", "conference": {"title": "x"}}})


def test_the_export_is_a_valid_schedule_with_rooms_days_and_talks(club: Club) -> None:
    hut = a_place(club, "Refugio", capacity=40)
    a_place(club, "Río")
    guide = club.people["participant"]
    talk = an_activity(
        club, "10:00", "11:45", title="Nudos", place_id=hut.id, people=[guide.id], track="Técnica"
    )
    loose = an_activity(club, "23:30", "23:45", title="Estrellas")
    called_off = an_activity(club, "12:00", "13:00", title="Baño", place_id=hut.id)
    club.run("organizer", service.cancel_activity, club.event.id, called_off.id)

    document = _export(club)
    _validate(document)
    conference = document["schedule"]["conference"]
    assert (conference["title"], conference["start"], conference["end"]) == (
        club.event.name,
        "2027-05-01",
        "2027-05-01",
    )
    assert conference["time_zone_name"] == "Europe/Madrid"
    assert [r["name"] for r in conference["rooms"]] == ["Refugio", "Río", "General"]
    day = conference["days"][0]
    assert day["day_start"] == "2027-05-01T00:00:00+02:00"
    exported = day["rooms"]["Refugio"]
    assert [e["title"] for e in exported] == ["Nudos"]
    base = club.settings.public_url
    expected = {
        "id": talk.id,
        "guid": talk.uid,
        "date": "2027-05-01T10:00:00+02:00",
        "start": "10:00",
        "duration": "01:45",
        "room": "Refugio",
        "track": "Técnica",
        "persons": [{"name": guide.display_name}],
        "url": f"{base}/events/{club.event.id}/agenda#activity-{talk.id}",
    }
    assert {key: exported[0][key] for key in expected} == expected
    assert datetime.fromisoformat(exported[0]["date"]).utcoffset() is not None
    assert [e["id"] for e in day["rooms"]["General"]] == [loose.id]
    assert day["rooms"]["Río"] == []


def test_activities_outside_the_event_dates_get_their_own_days(club: Club) -> None:
    data = ActivityCreate(
        title="Vuelta",
        starts_at=datetime.fromisoformat("2027-05-03T09:00:00+02:00"),
        ends_at=datetime.fromisoformat("2027-05-03T10:00:00+02:00"),
    )
    club.run("organizer", service.add_activity, club.event.id, data)
    document = _export(club)
    _validate(document)
    conference = document["schedule"]["conference"]
    assert [d["date"] for d in conference["days"]] == ["2027-05-01", "2027-05-02", "2027-05-03"]
    assert conference["daysCount"] == 3


@pytest.mark.parametrize("who", ["outsider"])
def test_outsiders_get_no_export(club: Club, who: str) -> None:
    with pytest.raises(NotFound):
        club.run(who, service.schedule_export, club.event.id)
