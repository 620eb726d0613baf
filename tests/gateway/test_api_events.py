"""The public API's events and members: who may do what, and what bad input gets back."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from tests.builders import (
    Cast,
    a_cast_in,
    a_member,
    a_person_in,
    an_event,
    an_invitation,
    event_payload,
)
from tests.problems import assert_problem, invalid_fields
from tripbot.events.models import Event, Invitation, Membership
from tripbot.system import System

KINDS = ["owner", "organizer", "participant", "outsider"]


@pytest.fixture
def cast(system: System) -> Cast:
    """An event with its owner, an organizer, a participant and an outsider."""
    return a_cast_in(system)


def _url(cast: Cast, tail: str = "") -> str:
    return f"/api/v1/events/{cast.event['id']}{tail}"


def _roles(http: httpx.Client, cast: Cast) -> dict[int, str]:
    members = http.get(_url(cast, "/members"), headers=cast.owner.headers)
    assert members.status_code == 200, members.text
    return {m["user_id"]: m["role"] for m in members.json()}


def _count(system: System, model: type[object]) -> int:
    with system.databases["events"].unit_of_work() as uow:
        return uow.session.scalar(select(func.count()).select_from(model)) or 0


# ---- POST /events ------------------------------------------------------------------------------


def test_creating_an_event_makes_its_creator_the_owner(system: System, http: httpx.Client) -> None:
    owner = a_person_in(system)
    answer = http.post("/api/v1/events", json=event_payload(currency="usd"), headers=owner.headers)
    assert answer.status_code == 201, answer.text
    event = answer.json()
    assert (event["my_role"], event["member_count"], event["currency"]) == ("owner", 1, "USD")
    assert datetime.fromisoformat(event["starts_at"]) == datetime.fromisoformat(
        "2027-05-01T06:00:00+00:00"
    )
    assert event["starts_at"].endswith(("Z", "+00:00"))
    fetched = http.get(f"/api/v1/events/{event['id']}", headers=owner.headers).json()
    assert fetched == event


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        pytest.param({"name": "  "}, "name", id="blank-name"),
        pytest.param({"name": "x" * 121}, "name", id="name-of-121"),
        pytest.param({"name": "Ruta\x00"}, "name", id="nul-in-name"),
        pytest.param({"kind": "party"}, "kind", id="unknown-kind"),
        pytest.param({"starts_at": "2027-05-01T08:00:00"}, "starts_at", id="naive-start"),
        pytest.param({"ends_at": "tomorrow"}, "ends_at", id="unreadable-end"),
        pytest.param({"timezone": "Mars/Olympus_Mons"}, "timezone", id="unknown-timezone"),
        pytest.param({"currency": "EUX"}, "currency", id="unknown-currency"),
        pytest.param({"currency": "EURO"}, "currency", id="currency-of-4"),
        pytest.param({"description": "x" * 5001}, "description", id="description-of-5001"),
        pytest.param({"place": "x" * 201}, "place", id="place-of-201"),
        pytest.param({"created_by": 1}, "created_by", id="unknown-field"),
        pytest.param({"name": None}, "name", id="null-name"),
    ],
)
def test_creating_an_event_refuses_bad_input(
    system: System, http: httpx.Client, overrides: dict[str, Any], field: str
) -> None:
    owner = a_person_in(system)
    answer = http.post("/api/v1/events", json=event_payload(**overrides), headers=owner.headers)
    body = assert_problem(answer, 422, "invalid-input")
    assert invalid_fields(body) == {field}
    assert _count(system, Event) == 0


@pytest.mark.parametrize("missing", ["name", "starts_at", "ends_at"])
def test_an_event_needs_a_name_and_times(system: System, http: httpx.Client, missing: str) -> None:
    owner = a_person_in(system)
    body = event_payload()
    del body[missing]
    problem = assert_problem(
        http.post("/api/v1/events", json=body, headers=owner.headers), 422, "invalid-input"
    )
    assert invalid_fields(problem) == {missing}


def test_an_event_cannot_end_before_it_starts(system: System, http: httpx.Client) -> None:
    owner = a_person_in(system)
    body = event_payload(starts_at="2027-05-02T08:00:00Z", ends_at="2027-05-01T08:00:00Z")
    answer = http.post("/api/v1/events", json=body, headers=owner.headers)
    assert_problem(answer, 422, "invalid-input", "ends_at must not be before starts_at")
    assert _count(system, Event) == 0


def test_creating_an_event_needs_a_token(http: httpx.Client) -> None:
    assert_problem(http.post("/api/v1/events", json=event_payload()), 401, "not-authenticated")


# ---- GET /events and /events/{id} ------------------------------------------------------------


def test_people_list_their_own_events_soonest_first(system: System, http: httpx.Client) -> None:
    ana, luis = a_person_in(system), a_person_in(system)
    later = an_event(http, ana, starts_at="2027-07-01T08:00:00Z", ends_at="2027-07-01T10:00:00Z")
    sooner = an_event(http, ana)
    an_event(http, luis)
    a_member(http, later, ana)
    listed = http.get("/api/v1/events", headers=ana.headers)
    assert listed.status_code == 200
    assert [(e["id"], e["member_count"]) for e in listed.json()] == [
        (sooner["id"], 1),
        (later["id"], 2),
    ]
    assert_problem(http.get("/api/v1/events"), 401, "not-authenticated")


@pytest.mark.parametrize("kind", ["owner", "organizer", "participant"])
def test_members_see_the_event_with_their_role(http: httpx.Client, cast: Cast, kind: str) -> None:
    answer = http.get(_url(cast), headers=cast.person(kind).headers)
    assert answer.status_code == 200
    assert (answer.json()["my_role"], answer.json()["member_count"]) == (kind, 3)


@pytest.mark.parametrize("tail", ["", "/members", "/invitations"])
def test_outsiders_cannot_tell_an_event_exists(http: httpx.Client, cast: Cast, tail: str) -> None:
    existing = http.get(_url(cast, tail), headers=cast.outsider.headers)
    missing = http.get(f"/api/v1/events/999{tail}", headers=cast.outsider.headers)
    first = assert_problem(existing, 404, "not-found")
    second = assert_problem(missing, 404, "not-found")
    assert first["detail"] == f"there is no event {cast.event['id']}"
    assert second["detail"] == "there is no event 999"


@pytest.mark.parametrize("event_id", ["2147483648", "99999999999999999999"])
def test_impossible_event_ids_are_not_found(
    system: System, http: httpx.Client, event_id: str
) -> None:
    person = a_person_in(system)
    for method in ("GET", "PATCH", "DELETE"):
        answer = http.request(
            method, f"/api/v1/events/{event_id}", json={"name": "x"}, headers=person.headers
        )
        assert_problem(answer, 404, "not-found")


def test_reading_an_event_needs_a_token(http: httpx.Client, cast: Cast) -> None:
    assert_problem(http.get(_url(cast)), 401, "not-authenticated")
    assert_problem(http.get(_url(cast, "/members")), 401, "not-authenticated")


# ---- PATCH /events/{id} ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "status"),
    [("owner", 200), ("organizer", 200), ("participant", 403), ("outsider", 404)],
)
def test_owners_and_organizers_change_the_event(
    http: httpx.Client, cast: Cast, kind: str, status: int
) -> None:
    change = {"name": "Picos de Europa", "place": "Covadonga", "kind": "event"}
    answer = http.patch(_url(cast), json=change, headers=cast.person(kind).headers)
    current = http.get(_url(cast), headers=cast.owner.headers).json()
    if status == 200:
        assert answer.status_code == 200, answer.text
        assert answer.json() == {**current, "my_role": kind}
        assert (current["name"], current["place"], current["kind"]) == (
            "Picos de Europa",
            "Covadonga",
            "event",
        )
    else:
        slug = "permission-denied" if status == 403 else "not-found"
        assert_problem(answer, status, slug)
        assert current["name"] == cast.event["name"]


@pytest.mark.parametrize(
    ("change", "field", "detail"),
    [
        pytest.param({"ends_at": "2027-04-01T00:00:00Z"}, None, "ends_at must not", id="end-early"),
        pytest.param(
            {"starts_at": "2028-01-01T00:00:00Z"}, None, "ends_at must not", id="start-late"
        ),
        pytest.param({"name": None}, None, "name cannot be empty", id="null-name"),
        pytest.param({"name": ""}, "name", None, id="empty-name"),
        pytest.param({"starts_at": "2027-05-01T08:00:00"}, "starts_at", None, id="naive"),
        pytest.param({"timezone": "Europe/Atlantis"}, "timezone", None, id="unknown-tz"),
        pytest.param({"currency": "XXXX"}, "currency", None, id="bad-currency"),
        pytest.param({"id": 5}, "id", None, id="unknown-field"),
    ],
)
def test_a_refused_change_leaves_the_event_as_it_was(
    http: httpx.Client, cast: Cast, change: dict[str, Any], field: str | None, detail: str | None
) -> None:
    before = http.get(_url(cast), headers=cast.owner.headers).json()
    answer = http.patch(_url(cast), json=change, headers=cast.owner.headers)
    body = assert_problem(answer, 422, "invalid-input", detail)
    if field is not None:
        assert invalid_fields(body) == {field}
    assert http.get(_url(cast), headers=cast.owner.headers).json() == before


# ---- DELETE /events/{id} -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "status", "slug"),
    [
        ("organizer", 403, "permission-denied"),
        ("participant", 403, "permission-denied"),
        ("outsider", 404, "not-found"),
    ],
)
def test_only_owners_delete_an_event(
    http: httpx.Client, cast: Cast, kind: str, status: int, slug: str
) -> None:
    assert_problem(http.delete(_url(cast), headers=cast.person(kind).headers), status, slug)
    assert http.get(_url(cast), headers=cast.owner.headers).status_code == 200


def test_deleting_an_event_removes_everything_in_it(
    system: System, http: httpx.Client, cast: Cast
) -> None:
    an_invitation(http, cast.event, cast.owner)
    answer = http.delete(_url(cast), headers=cast.owner.headers)
    assert answer.status_code == 204
    assert answer.content == b""
    for kind in ("owner", "participant"):
        assert_problem(http.get(_url(cast), headers=cast.person(kind).headers), 404, "not-found")
    assert (_count(system, Event), _count(system, Membership), _count(system, Invitation)) == (
        0,
        0,
        0,
    )
    assert_problem(http.delete(_url(cast), headers=cast.owner.headers), 404, "not-found")


def test_deleting_an_event_needs_a_token(http: httpx.Client, cast: Cast) -> None:
    assert_problem(http.delete(_url(cast)), 401, "not-authenticated")


# ---- GET /events/{id}/members ------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["owner", "organizer", "participant"])
def test_members_see_the_members_owners_first(http: httpx.Client, cast: Cast, kind: str) -> None:
    answer = http.get(_url(cast, "/members"), headers=cast.person(kind).headers)
    assert answer.status_code == 200
    assert [(m["user_id"], m["role"]) for m in answer.json()] == [
        (cast.owner.id, "owner"),
        (cast.organizer.id, "organizer"),
        (cast.participant.id, "participant"),
    ]
    assert all(set(m) == {"user_id", "display_name", "role", "joined_at"} for m in answer.json())


# ---- PATCH /events/{id}/members/{user_id} ------------------------------------------------------

ROLE_CHANGES = [
    # actor, target, new role, status
    ("owner", "participant", "organizer", 200),
    ("owner", "participant", "owner", 200),
    ("owner", "organizer", "participant", 200),
    ("organizer", "participant", "organizer", 200),
    ("organizer", "organizer", "participant", 200),
    ("organizer", "participant", "owner", 403),
    ("organizer", "owner", "participant", 403),
    ("participant", "participant", "organizer", 403),
    ("participant", "organizer", "participant", 403),
    ("outsider", "participant", "organizer", 404),
    ("owner", "outsider", "organizer", 404),
]
SLUGS = {403: "permission-denied", 404: "not-found", 409: "conflict", 422: "invalid-input"}


@pytest.mark.parametrize(("actor", "target", "role", "status"), ROLE_CHANGES)
def test_who_may_change_which_roles(
    http: httpx.Client, cast: Cast, actor: str, target: str, role: str, status: int
) -> None:
    before = _roles(http, cast)
    target_id = cast.person(target).id
    answer = http.patch(
        _url(cast, f"/members/{target_id}"), json={"role": role}, headers=cast.person(actor).headers
    )
    if status == 200:
        assert answer.status_code == 200, answer.text
        assert (answer.json()["user_id"], answer.json()["role"]) == (target_id, role)
        assert _roles(http, cast) == {**before, target_id: role}
    else:
        assert_problem(answer, status, SLUGS[status])
        assert _roles(http, cast) == before


def test_the_last_owner_cannot_step_down_or_leave(http: httpx.Client, cast: Cast) -> None:
    me = _url(cast, f"/members/{cast.owner.id}")
    demoted = http.patch(me, json={"role": "organizer"}, headers=cast.owner.headers)
    assert_problem(demoted, 409, "conflict", "at least one owner")
    assert_problem(
        http.delete(me, headers=cast.owner.headers), 409, "conflict", "at least one owner"
    )
    assert _roles(http, cast)[cast.owner.id] == "owner"


def test_an_owner_hands_over_and_then_steps_down(http: httpx.Client, cast: Cast) -> None:
    organizer = _url(cast, f"/members/{cast.organizer.id}")
    owner = _url(cast, f"/members/{cast.owner.id}")
    promoted = http.patch(organizer, json={"role": "owner"}, headers=cast.owner.headers)
    assert promoted.status_code == 200
    assert (
        http.patch(owner, json={"role": "participant"}, headers=cast.owner.headers).status_code
        == 200
    )
    assert _roles(http, cast)[cast.owner.id] == "participant"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"role": "admin"}, "role", id="not-an-event-role"),
        pytest.param({}, "role", id="no-role"),
        pytest.param({"role": None}, "role", id="null-role"),
        pytest.param({"role": "organizer", "user_id": 1}, "user_id", id="unknown-field"),
    ],
)
def test_role_changes_refuse_bad_input(
    http: httpx.Client, cast: Cast, body: dict[str, Any], field: str
) -> None:
    answer = http.patch(
        _url(cast, f"/members/{cast.participant.id}"), json=body, headers=cast.owner.headers
    )
    assert invalid_fields(assert_problem(answer, 422, "invalid-input")) == {field}


def test_role_changes_need_a_token(http: httpx.Client, cast: Cast) -> None:
    answer = http.patch(_url(cast, f"/members/{cast.participant.id}"), json={"role": "owner"})
    assert_problem(answer, 401, "not-authenticated")


# ---- DELETE /events/{id}/members/{user_id} -----------------------------------------------------

REMOVALS = [
    # actor, target, status
    ("participant", "participant", 204),
    ("organizer", "organizer", 204),
    ("organizer", "participant", 204),
    ("owner", "organizer", 204),
    ("owner", "participant", 204),
    ("participant", "organizer", 403),
    ("participant", "owner", 403),
    ("organizer", "owner", 403),
    ("outsider", "participant", 404),
    ("owner", "outsider", 404),
]


@pytest.mark.parametrize(("actor", "target", "status"), REMOVALS)
def test_who_may_remove_whom(
    http: httpx.Client, cast: Cast, actor: str, target: str, status: int
) -> None:
    before = _roles(http, cast)
    removed = cast.person(target)
    answer = http.delete(_url(cast, f"/members/{removed.id}"), headers=cast.person(actor).headers)
    if status == 204:
        assert answer.status_code == 204, answer.text
        assert _roles(http, cast) == {k: v for k, v in before.items() if k != removed.id}
        assert_problem(http.get(_url(cast), headers=removed.headers), 404, "not-found")
    else:
        assert_problem(answer, status, SLUGS[status])
        assert _roles(http, cast) == before


def test_one_of_two_owners_may_leave(http: httpx.Client, cast: Cast) -> None:
    http.patch(
        _url(cast, f"/members/{cast.organizer.id}"),
        json={"role": "owner"},
        headers=cast.owner.headers,
    )
    left = http.delete(_url(cast, f"/members/{cast.owner.id}"), headers=cast.owner.headers)
    assert left.status_code == 204
    members = http.get(_url(cast, "/members"), headers=cast.organizer.headers).json()
    assert {m["user_id"]: m["role"] for m in members} == {
        cast.organizer.id: "owner",
        cast.participant.id: "participant",
    }


def test_removing_needs_a_token(http: httpx.Client, cast: Cast) -> None:
    answer = http.delete(_url(cast, f"/members/{cast.participant.id}"))
    assert_problem(answer, 401, "not-authenticated")


@pytest.mark.parametrize("user_id", ["2147483648", "4294967296", "99999999999999999999"])
def test_impossible_member_ids_are_not_found(http: httpx.Client, cast: Cast, user_id: str) -> None:
    for method in ("PATCH", "DELETE"):
        answer = http.request(
            method,
            _url(cast, f"/members/{user_id}"),
            json={"role": "organizer"},
            headers=cast.owner.headers,
        )
        assert_problem(answer, 404, "not-found")
