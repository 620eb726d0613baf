"""The public API of the agenda: who may do what, what bad input gets back, and the calendar
feed that calendar apps poll without a login."""

from __future__ import annotations

from typing import Any

import httpx
import icalendar
import pytest
from sqlalchemy import func, select

from tests.builders import Cast, a_cast, activity_payload, an_activity
from tests.problems import assert_problem, invalid_fields
from tripbot.agenda.models import Activity, FeedToken, Place, outbox
from tripbot.system import System

KINDS = ["owner", "organizer", "participant", "outsider"]


@pytest.fixture
def cast(http: httpx.Client) -> Cast:
    """An event with its owner, an organizer, a participant and an outsider."""
    return a_cast(http)


def _url(cast: Cast, tail: str) -> str:
    return f"/api/v1/events/{cast.event['id']}{tail}"


def _count(system: System, table: Any) -> int:
    with system.databases["agenda"].unit_of_work() as uow:
        return uow.session.scalar(select(func.count()).select_from(table)) or 0


def _stored(system: System) -> tuple[int, int, int]:
    return (_count(system, Activity), _count(system, Place), _count(system, outbox))


def _place(http: httpx.Client, cast: Cast, **body: Any) -> dict[str, Any]:
    answer = http.post(
        _url(cast, "/places"), json={"name": "Refugio", **body}, headers=cast.organizer.headers
    )
    assert answer.status_code == 201, answer.text
    place: dict[str, Any] = answer.json()
    return place


# ---- the whole flow -------------------------------------------------------------------------


def test_organizers_build_the_timetable_and_participants_follow_it(
    http: httpx.Client, cast: Cast
) -> None:
    place = _place(http, cast, capacity=12)
    made = an_activity(
        http, cast.event, cast.organizer, place_id=place["id"], people=[cast.participant.id]
    )
    assert (made["status"], made["place_name"], made["starts_at"]) == (
        "scheduled",
        "Refugio",
        "2027-05-01T06:00:00Z",
    )
    moved = http.patch(
        _url(cast, f"/activities/{made['id']}"),
        json={"starts_at": "2027-05-01T10:00:00+02:00", "ends_at": "2027-05-01T11:00:00+02:00"},
        headers=cast.organizer.headers,
    ).json()
    assert (moved["status"], moved["sequence"]) == ("moved", 1)
    seen = http.get(_url(cast, "/activities"), headers=cast.participant.headers).json()
    assert [a["id"] for a in seen] == [made["id"]]
    by_day = http.get(
        _url(cast, "/activities"), params={"day": "2027-05-02"}, headers=cast.participant.headers
    )
    assert by_day.json() == []
    now = http.get(
        _url(cast, "/agenda/now"),
        params={"at": "2027-05-01T10:30:00+02:00"},
        headers=cast.participant.headers,
    ).json()
    assert [a["id"] for a in now["now"]] == [made["id"]]
    cancelled = http.post(
        _url(cast, f"/activities/{made['id']}/cancel"), headers=cast.owner.headers
    ).json()
    assert cancelled["status"] == "cancelled"


def test_conflicts_are_listed_but_never_block(http: httpx.Client, cast: Cast) -> None:
    place = _place(http, cast)
    first = an_activity(http, cast.event, cast.organizer, place_id=place["id"])
    second = an_activity(
        http,
        cast.event,
        cast.organizer,
        place_id=place["id"],
        starts_at="2027-05-01T08:30:00+02:00",
        ends_at="2027-05-01T09:30:00+02:00",
    )
    answer = http.get(_url(cast, "/agenda/conflicts"), headers=cast.participant.headers)
    assert answer.status_code == 200
    assert answer.json() == [
        {
            "kind": "place_double_booked",
            "activity_ids": [first["id"], second["id"]],
            "place_id": place["id"],
            "user_id": None,
            "detail": "Refugio is booked for 'Desayuno en Poncebos' and "
            "'Desayuno en Poncebos' at the same time",
        }
    ]


# ---- permissions ----------------------------------------------------------------------------

READS = [
    ("GET", "/places"),
    ("GET", "/activities"),
    ("GET", "/activities/{activity}"),
    ("GET", "/agenda/conflicts"),
    ("GET", "/agenda/now"),
    ("GET", "/agenda.ics"),
    ("GET", "/agenda.json"),
    ("POST", "/agenda/feed-token"),
    ("DELETE", "/agenda/feed-token"),
]
WRITES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("POST", "/places", {"name": "Río"}),
    ("PATCH", "/places/{place}", {"capacity": 5}),
    ("POST", "/activities", activity_payload()),
    ("PATCH", "/activities/{activity}", {"title": "Otro"}),
    ("POST", "/activities/{activity}/cancel", None),
    ("DELETE", "/activities/{activity}", None),
    ("DELETE", "/places/{empty_place}", None),
]


def _ids(http: httpx.Client, cast: Cast, suffix: str = "") -> dict[str, int]:
    place = _place(http, cast, name=f"Refugio{suffix}")
    empty = _place(http, cast, name=f"Vacío{suffix}")
    activity = an_activity(http, cast.event, cast.organizer, place_id=place["id"])
    return {"place": place["id"], "empty_place": empty["id"], "activity": activity["id"]}


def test_members_read_and_outsiders_see_nothing(http: httpx.Client, cast: Cast) -> None:
    ids = _ids(http, cast)
    for kind in KINDS:
        for method, tail in READS:
            answer = http.request(
                method, _url(cast, tail.format(**ids)), headers=cast.person(kind).headers
            )
            if kind == "outsider":
                assert_problem(answer, 404, "not-found", f"no event {cast.event['id']}")
            else:
                assert answer.status_code in (200, 201, 204), (kind, method, tail, answer.text)


def test_owners_and_organizers_edit_participants_may_not(
    http: httpx.Client, cast: Cast, system: System
) -> None:
    for kind in ["outsider", "participant", "organizer", "owner"]:
        ids = _ids(http, cast, kind)
        for method, tail, template in WRITES:
            body = template
            if body and "name" in body:
                body = {**body, "name": f"{body['name']} {kind}"}  # place names are unique
            before = _stored(system)
            answer = http.request(
                method, _url(cast, tail.format(**ids)), json=body, headers=cast.person(kind).headers
            )
            if kind == "outsider":
                assert_problem(answer, 404, "not-found")
            elif kind == "participant":
                assert_problem(answer, 403, "permission-denied", "organizer or above")
            else:
                assert answer.status_code in (200, 201, 204), (kind, method, tail, answer.text)
                continue
            assert _stored(system) == before


def test_nobody_anonymous_gets_anything_without_a_feed_token(
    http: httpx.Client, cast: Cast
) -> None:
    ids = _ids(http, cast)
    calls = [(m, t, None) for m, t in READS] + WRITES + [("GET", "/agenda/feed-token", None)]
    for method, tail, body in calls:
        answer = http.request(method, _url(cast, tail.format(**ids)), json=body)
        assert_problem(answer, 401, "not-authenticated", "Authorization: Bearer")


def test_an_event_that_does_not_exist_is_not_found(http: httpx.Client, cast: Cast) -> None:
    answer = http.get("/api/v1/events/2147483647/activities", headers=cast.owner.headers)
    assert_problem(answer, 404, "not-found")
    assert_problem(
        http.get("/api/v1/events/9999999999/places", headers=cast.owner.headers), 404, "not-found"
    )


# ---- bad input: 4xx that says what is wrong, and nothing stored ------------------------------


BAD_ACTIVITIES: list[tuple[dict[str, Any], set[str]]] = [
    ({"title": "x" * 201}, {"title"}),
    ({"title": "   "}, {"title"}),
    ({"starts_at": "2027-05-01T08:00:00"}, {"starts_at"}),
    ({"ends_at": "2027-05-01 09:00"}, {"ends_at"}),
    ({"ends_at": "2027-05-01T07:00:00+02:00"}, {"_schema"}),
    ({"ends_at": "2027-05-01T08:00:00+02:00"}, {"_schema"}),
    ({"capacity": 0}, {"capacity"}),
    ({"people": ["ana"]}, {"people.0"}),
    ({"colour": "red"}, {"colour"}),
    ({"title": "a\x00b"}, {"title"}),
]


def test_a_bad_activity_is_refused_by_its_schema(
    http: httpx.Client, cast: Cast, system: System
) -> None:
    for overrides, fields in BAD_ACTIVITIES:
        body = activity_payload(**overrides)
        answer = http.post(_url(cast, "/activities"), json=body, headers=cast.organizer.headers)
        problem = assert_problem(answer, 422, "invalid-input")
        assert invalid_fields(problem) == fields, overrides
    problem = assert_problem(
        http.post(
            _url(cast, "/activities"),
            json=activity_payload(ends_at="2027-05-01T07:00:00+02:00"),
            headers=cast.organizer.headers,
        ),
        422,
        "invalid-input",
    )
    assert "ends_at must be after starts_at" in problem["detail"]
    assert _stored(system) == (0, 0, 0)


@pytest.mark.parametrize(
    ("overrides", "detail"),
    [
        pytest.param(
            {"ends_at": "2027-05-04T08:30:00+02:00"},
            "an activity may last at most 72 hours; this one would last 72.5",
            id="absurd-duration",
        ),
        pytest.param({"place_id": 999999}, "there is no place 999999 in this event", id="place"),
        pytest.param(
            {"people": [2147483646]}, "user 2147483646 is not a member of this event", id="person"
        ),
    ],
)
def test_a_bad_activity_is_refused_by_the_service_naming_the_problem(
    http: httpx.Client, cast: Cast, system: System, overrides: dict[str, Any], detail: str
) -> None:
    answer = http.post(
        _url(cast, "/activities"),
        json=activity_payload(**overrides),
        headers=cast.organizer.headers,
    )
    problem = assert_problem(answer, 422, "invalid-input", detail)
    assert problem["detail"] == detail
    assert _stored(system) == (0, 0, 0)


def test_an_outsider_cannot_be_put_in_charge(
    http: httpx.Client, cast: Cast, system: System
) -> None:
    made = an_activity(http, cast.event, cast.organizer)
    stored = _stored(system)
    answer = http.patch(
        _url(cast, f"/activities/{made['id']}"),
        json={"people": [cast.participant.id, cast.outsider.id]},
        headers=cast.organizer.headers,
    )
    problem = assert_problem(
        answer, 422, "invalid-input", f"user {cast.outsider.id} is not a member"
    )
    assert problem["field"] == "people"
    assert _stored(system) == stored
    assert (
        http.get(_url(cast, f"/activities/{made['id']}"), headers=cast.owner.headers).json()[
            "people"
        ]
        == []
    )


BAD_CHANGES: list[tuple[dict[str, Any], str]] = [
    ({"ends_at": "2027-05-01T07:00:00+02:00"}, "ends_at must be after starts_at"),
    ({"ends_at": "2027-05-04T09:00:01+02:00"}, "at most 72 hours"),
    ({"starts_at": "2027-05-01T08:00:00"}, "starts_at: Input should have timezone info"),
    ({"status": "postponed"}, "status"),
    ({"title": None}, "title cannot be empty"),
    ({"place_id": 0}, "place_id"),
    ({"place_id": 424242}, "there is no place 424242 in this event"),
]


def test_a_bad_change_is_refused_and_changes_nothing(
    http: httpx.Client, cast: Cast, system: System
) -> None:
    made = an_activity(http, cast.event, cast.organizer)
    stored = _stored(system)
    for body, detail in BAD_CHANGES:
        answer = http.patch(
            _url(cast, f"/activities/{made['id']}"), json=body, headers=cast.organizer.headers
        )
        assert_problem(answer, 422, "invalid-input", detail)
    assert _stored(system) == stored
    again = http.get(_url(cast, f"/activities/{made['id']}"), headers=cast.owner.headers).json()
    assert again == made


def test_places_refuse_bad_names_duplicates_and_removal_in_use(
    http: httpx.Client, cast: Cast, system: System
) -> None:
    url, headers = _url(cast, "/places"), cast.organizer.headers
    problem = assert_problem(
        http.post(url, json={"name": ""}, headers=headers), 422, "invalid-input"
    )
    assert invalid_fields(problem) == {"name"}
    problem = assert_problem(
        http.post(url, json={"name": "x", "capacity": -1}, headers=headers), 422, "invalid-input"
    )
    assert invalid_fields(problem) == {"capacity"}
    place = _place(http, cast)
    assert_problem(
        http.post(url, json={"name": "Refugio"}, headers=headers), 409, "conflict", "'Refugio'"
    )
    an_activity(http, cast.event, cast.organizer, place_id=place["id"])
    stored = _stored(system)
    assert_problem(
        http.delete(f"{url}/{place['id']}", headers=headers), 409, "conflict", "move or delete"
    )
    assert_problem(http.delete(f"{url}/999999", headers=headers), 404, "not-found", "no place")
    assert _stored(system) == stored


def test_bad_queries_are_refused(http: httpx.Client, cast: Cast) -> None:
    for tail, params, field in [
        ("/activities", {"day": "1 May"}, "day"),
        ("/activities", {"place_id": "hut"}, "place_id"),
        ("/agenda/now", {"at": "2027-05-01T10:00:00"}, "at"),
        ("/agenda/now", {"limit": "0"}, "limit"),
    ]:
        answer = http.get(_url(cast, tail), params=params, headers=cast.participant.headers)
        problem = assert_problem(answer, 422, "invalid-input")
        assert invalid_fields(problem) == {field}


def test_unknown_activities_and_places_are_not_found(http: httpx.Client, cast: Cast) -> None:
    for method, tail in [
        ("GET", "/activities/424242"),
        ("PATCH", "/activities/424242"),
        ("POST", "/activities/424242/cancel"),
        ("DELETE", "/activities/424242"),
        ("PATCH", "/places/424242"),
    ]:
        answer = http.request(method, _url(cast, tail), json={}, headers=cast.owner.headers)
        assert_problem(answer, 404, "not-found", "424242")


# ---- the calendar feed ----------------------------------------------------------------------


def _token(http: httpx.Client, cast: Cast) -> str:
    answer = http.post(_url(cast, "/agenda/feed-token"), headers=cast.participant.headers)
    assert answer.status_code == 201, answer.text
    token: str = answer.json()["token"]
    return token


def test_calendar_apps_subscribe_with_the_feed_token_and_poll_for_free(
    http: httpx.Client, cast: Cast
) -> None:
    made = an_activity(http, cast.event, cast.organizer)
    token = _token(http, cast)
    assert (
        http.get(_url(cast, "/agenda/feed-token"), headers=cast.participant.headers).json()["token"]
        == token
    )
    feed = http.get(_url(cast, "/agenda.ics"), params={"token": token})
    assert feed.status_code == 200, feed.text
    assert feed.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert feed.headers["Cache-Control"] == "private, no-cache"
    calendar = icalendar.Calendar.from_ical(feed.text)
    assert [str(e["UID"]) for e in calendar.walk("VEVENT")] == [made["uid"]]

    etag = feed.headers["ETag"]
    assert etag.startswith('"')
    assert etag.endswith('"')
    poll = http.get(
        _url(cast, "/agenda.ics"), params={"token": token}, headers={"If-None-Match": etag}
    )
    assert (poll.status_code, poll.content, poll.headers["ETag"]) == (304, b"", etag)

    http.post(_url(cast, f"/activities/{made['id']}/cancel"), headers=cast.organizer.headers)
    changed = http.get(
        _url(cast, "/agenda.ics"), params={"token": token}, headers={"If-None-Match": etag}
    )
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert "STATUS:CANCELLED" in changed.text


def test_members_also_get_the_calendar_with_their_login(http: httpx.Client, cast: Cast) -> None:
    an_activity(http, cast.event, cast.organizer)
    feed = http.get(_url(cast, "/agenda.ics"), headers=cast.participant.headers)
    assert feed.status_code == 200
    assert "METHOD:PUBLISH" in feed.text


@pytest.mark.parametrize("token", ["", "x" * 32, "tb_" + "A" * 29, "../../etc/passwd"])
def test_an_unknown_feed_token_is_not_found(http: httpx.Client, cast: Cast, token: str) -> None:
    answer = http.get(_url(cast, "/agenda.ics"), params={"token": token})
    assert_problem(answer, 404, "not-found", "no such calendar feed")


def test_a_revoked_or_regenerated_token_is_not_found(
    http: httpx.Client, cast: Cast, system: System
) -> None:
    old = _token(http, cast)
    new = _token(http, cast)
    assert_problem(http.get(_url(cast, "/agenda.ics"), params={"token": old}), 404, "not-found")
    assert http.get(_url(cast, "/agenda.ics"), params={"token": new}).status_code == 200
    assert (
        http.delete(_url(cast, "/agenda/feed-token"), headers=cast.participant.headers).status_code
        == 204
    )
    assert_problem(http.get(_url(cast, "/agenda.ics"), params={"token": new}), 404, "not-found")
    assert _count(system, FeedToken) == 0
    assert_problem(
        http.get(_url(cast, "/agenda/feed-token"), headers=cast.participant.headers),
        404,
        "not-found",
        "no calendar feed link",
    )


def test_a_token_reveals_only_its_own_event(http: httpx.Client, cast: Cast) -> None:
    token = _token(http, cast)
    other = a_cast(http)
    answer = http.get(f"/api/v1/events/{other.event['id']}/agenda.ics", params={"token": token})
    assert_problem(answer, 404, "not-found", "no such calendar feed")


def test_a_member_who_leaves_loses_the_feed(http: httpx.Client, cast: Cast) -> None:
    token = _token(http, cast)
    left = http.delete(
        _url(cast, f"/members/{cast.participant.id}"), headers=cast.participant.headers
    )
    assert left.status_code == 204
    assert_problem(http.get(_url(cast, "/agenda.ics"), params={"token": token}), 404, "not-found")


def test_the_schedule_export_is_json(http: httpx.Client, cast: Cast) -> None:
    an_activity(http, cast.event, cast.organizer)
    answer = http.get(_url(cast, "/agenda.json"), headers=cast.participant.headers)
    assert answer.headers["Content-Type"] == "application/json"
    conference = answer.json()["schedule"]["conference"]
    assert conference["acronym"] == f"tripbot_{cast.event['id']}"


def test_every_agenda_endpoint_is_in_the_openapi_document(http: httpx.Client) -> None:
    paths = http.get("/api/v1/openapi.json").json()["paths"]
    base = "/api/v1/events/{event_id}"
    expected = {
        f"{base}/places": {"get", "post"},
        f"{base}/places/{{place_id}}": {"patch", "delete"},
        f"{base}/activities": {"get", "post"},
        f"{base}/activities/{{activity_id}}": {"get", "patch", "delete"},
        f"{base}/activities/{{activity_id}}/cancel": {"post"},
        f"{base}/agenda/conflicts": {"get"},
        f"{base}/agenda/now": {"get"},
        f"{base}/agenda/feed-token": {"get", "post", "delete"},
        f"{base}/agenda.ics": {"get"},
        f"{base}/agenda.json": {"get"},
    }
    for path, methods in expected.items():
        assert set(paths[path]) >= methods, path
    calendar = paths[f"{base}/agenda.ics"]["get"]
    assert "text/calendar" in calendar["responses"]["200"]["content"]
    assert "304" in calendar["responses"]
    assert {p["name"] for p in calendar["parameters"]} >= {"token"}
    assert "ActivityCreate" in http.get("/api/v1/openapi.json").text
