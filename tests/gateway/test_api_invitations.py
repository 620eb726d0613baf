"""The public API's invitation links: made and revoked by organizers, previewed by anyone,
accepted once per person, and gone when expired, used up or revoked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from tests.builders import Cast, a_cast_in, a_person_in, an_event, an_invitation
from tests.problems import assert_problem, invalid_fields
from tripbot.events.models import Invitation
from tripbot.system import System

SLUGS = {403: "permission-denied", 404: "not-found"}


@pytest.fixture
def cast(system: System) -> Cast:
    """An event with its owner, an organizer, a participant and an outsider."""
    return a_cast_in(system)


def _invitations(cast: Cast) -> str:
    return f"/api/v1/events/{cast.event['id']}/invitations"


def _spoil(system: System, code: str, **values: Any) -> None:
    with system.databases["events"].unit_of_work() as uow:
        uow.session.execute(update(Invitation).where(Invitation.code == code).values(**values))
        uow.commit()


# ---- POST /events/{id}/invitations -------------------------------------------------------------


@pytest.mark.parametrize("kind", ["owner", "organizer"])
def test_owners_and_organizers_make_invitation_links(
    system: System, http: httpx.Client, cast: Cast, kind: str
) -> None:
    answer = http.post(
        _invitations(cast),
        json={"role": "organizer", "max_uses": 10, "expires_in_hours": 2},
        headers=cast.person(kind).headers,
    )
    assert answer.status_code == 201, answer.text
    link = answer.json()
    assert link["url"] == f"{system.settings.public_url.rstrip('/')}/invite/{link['code']}"
    assert (link["role"], link["max_uses"], link["uses"], link["usable"]) == (
        "organizer",
        10,
        0,
        True,
    )
    assert link["event_id"] == cast.event["id"]
    assert link["event_name"] == cast.event["name"]
    expires = datetime.fromisoformat(link["expires_at"])
    assert timedelta(minutes=119) < expires - datetime.now(UTC) <= timedelta(hours=2)


def test_an_invitation_is_single_use_for_a_week_by_default(http: httpx.Client, cast: Cast) -> None:
    link = an_invitation(http, cast.event, cast.owner)
    assert (link["role"], link["max_uses"]) == ("participant", 1)
    expires = datetime.fromisoformat(link["expires_at"])
    assert timedelta(days=7) - timedelta(minutes=1) < expires - datetime.now(UTC)


@pytest.mark.parametrize(("kind", "status"), [("participant", 403), ("outsider", 404)])
def test_participants_and_outsiders_make_no_invitations(
    http: httpx.Client, cast: Cast, kind: str, status: int
) -> None:
    answer = http.post(_invitations(cast), json={}, headers=cast.person(kind).headers)
    assert_problem(answer, status, SLUGS[status])
    listed = http.get(_invitations(cast), headers=cast.owner.headers).json()
    assert len(listed) == 2  # the two the cast was built with


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"role": "owner"}, "role", id="owner-role"),
        pytest.param({"role": "guest"}, "role", id="unknown-role"),
        pytest.param({"max_uses": 0}, "max_uses", id="no-uses"),
        pytest.param({"max_uses": 1001}, "max_uses", id="1001-uses"),
        pytest.param({"expires_in_hours": 0}, "expires_in_hours", id="expires-now"),
        pytest.param({"expires_in_hours": 24 * 90 + 1}, "expires_in_hours", id="over-90-days"),
        pytest.param({"max_uses": "many"}, "max_uses", id="not-a-number"),
        pytest.param({"code": "my-own-code"}, "code", id="unknown-field"),
    ],
)
def test_making_an_invitation_refuses_bad_input(
    http: httpx.Client, cast: Cast, body: dict[str, Any], field: str
) -> None:
    answer = http.post(_invitations(cast), json=body, headers=cast.owner.headers)
    assert invalid_fields(assert_problem(answer, 422, "invalid-input")) == {field}


def test_making_an_invitation_needs_a_token(http: httpx.Client, cast: Cast) -> None:
    assert_problem(http.post(_invitations(cast), json={}), 401, "not-authenticated")


# ---- GET /events/{id}/invitations --------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "status"),
    [("owner", 200), ("organizer", 200), ("participant", 403), ("outsider", 404)],
)
def test_owners_and_organizers_list_invitations_newest_first(
    http: httpx.Client, cast: Cast, kind: str, status: int
) -> None:
    newest = an_invitation(http, cast.event, cast.owner, max_uses=3)
    answer = http.get(_invitations(cast), headers=cast.person(kind).headers)
    if status == 200:
        assert answer.status_code == 200
        listed = answer.json()
        assert listed[0] == newest
        assert len(listed) == 3
        assert all(i["url"].endswith(f"/invite/{i['code']}") for i in listed)
    else:
        assert_problem(answer, status, SLUGS[status])


def test_listing_invitations_needs_a_token(http: httpx.Client, cast: Cast) -> None:
    assert_problem(http.get(_invitations(cast)), 401, "not-authenticated")


# ---- DELETE /events/{id}/invitations/{code} ----------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "status"),
    [("owner", 204), ("organizer", 204), ("participant", 403), ("outsider", 404)],
)
def test_owners_and_organizers_revoke_invitations(
    http: httpx.Client, cast: Cast, kind: str, status: int
) -> None:
    link = an_invitation(http, cast.event, cast.owner)
    answer = http.delete(f"{_invitations(cast)}/{link['code']}", headers=cast.person(kind).headers)
    preview = http.get(f"/api/v1/invitations/{link['code']}").json()
    if status == 204:
        assert answer.status_code == 204
        assert preview["usable"] is False
        again = http.delete(f"{_invitations(cast)}/{link['code']}", headers=cast.owner.headers)
        assert again.status_code == 204
    else:
        assert_problem(answer, status, SLUGS[status])
        assert preview["usable"] is True


def test_an_invitation_is_revoked_only_through_its_event(http: httpx.Client, cast: Cast) -> None:
    link = an_invitation(http, cast.event, cast.owner)
    other = an_event(http, cast.owner)
    answer = http.delete(
        f"/api/v1/events/{other['id']}/invitations/{link['code']}", headers=cast.owner.headers
    )
    assert_problem(answer, 404, "not-found", "no such invitation")
    assert http.get(f"/api/v1/invitations/{link['code']}").json()["usable"] is True


@pytest.mark.parametrize("code", ["no-such-code", "%00", "a%3Fb%3D1", "x" * 200])
def test_revoking_an_unknown_invitation_is_not_found(
    http: httpx.Client, cast: Cast, code: str
) -> None:
    answer = http.delete(f"{_invitations(cast)}/{code}", headers=cast.owner.headers)
    assert_problem(answer, 404, "not-found")


def test_revoking_needs_a_token(http: httpx.Client, cast: Cast) -> None:
    link = an_invitation(http, cast.event, cast.owner)
    assert_problem(http.delete(f"{_invitations(cast)}/{link['code']}"), 401, "not-authenticated")


# ---- GET /invitations/{code} -------------------------------------------------------------------


def test_anyone_with_the_link_sees_where_it_leads(http: httpx.Client, cast: Cast) -> None:
    link = an_invitation(http, cast.event, cast.owner, role="organizer")
    for headers in ({}, cast.outsider.headers):
        answer = http.get(f"/api/v1/invitations/{link['code']}", headers=headers)
        assert answer.status_code == 200
        preview = answer.json()
        assert preview == {k: v for k, v in link.items() if k != "url"}


@pytest.mark.parametrize(
    "code", ["no-such-code", "%00", "a%3Fb%3D1", "..", "x" * 200, "%C3%B1and%C3%BA"]
)
def test_an_unknown_link_is_not_found(http: httpx.Client, code: str) -> None:
    assert_problem(http.get(f"/api/v1/invitations/{code}"), 404, "not-found")


# ---- POST /invitations/{code}/accept -----------------------------------------------------------


def test_accepting_joins_with_the_invitations_role(
    system: System, http: httpx.Client, cast: Cast
) -> None:
    link = an_invitation(http, cast.event, cast.owner, role="organizer")
    guest = a_person_in(system)
    answer = http.post(f"/api/v1/invitations/{link['code']}/accept", headers=guest.headers)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"event_id": cast.event["id"], "user_id": guest.id, "role": "organizer"}
    seen = http.get(f"/api/v1/events/{cast.event['id']}", headers=guest.headers)
    assert (seen.json()["my_role"], seen.json()["member_count"]) == ("organizer", 4)


def test_accepting_again_changes_nothing(system: System, http: httpx.Client, cast: Cast) -> None:
    link = an_invitation(http, cast.event, cast.owner, max_uses=3)
    guest = a_person_in(system)
    for _ in range(2):
        answer = http.post(f"/api/v1/invitations/{link['code']}/accept", headers=guest.headers)
        assert answer.json()["role"] == "participant"
    assert http.get(f"/api/v1/invitations/{link['code']}").json()["uses"] == 1
    owner_accepts = http.post(
        f"/api/v1/invitations/{link['code']}/accept", headers=cast.owner.headers
    )
    assert owner_accepts.json()["role"] == "owner"
    assert http.get(f"/api/v1/invitations/{link['code']}").json()["uses"] == 1


def test_a_multi_use_link_lets_in_as_many_as_it_says(
    system: System, http: httpx.Client, cast: Cast
) -> None:
    link = an_invitation(http, cast.event, cast.owner, max_uses=2)
    for _ in range(2):
        joined = http.post(
            f"/api/v1/invitations/{link['code']}/accept", headers=a_person_in(system).headers
        )
        assert joined.status_code == 200
    late = a_person_in(system)
    answer = http.post(f"/api/v1/invitations/{link['code']}/accept", headers=late.headers)
    assert_problem(answer, 410, "gone", "already been used")
    assert_problem(
        http.get(f"/api/v1/events/{cast.event['id']}", headers=late.headers), 404, "not-found"
    )


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        pytest.param({"uses": 1}, "already been used", id="used"),
        pytest.param(
            {"expires_at": datetime.now(UTC) - timedelta(seconds=1)}, "expired", id="expired"
        ),
        pytest.param({"revoked_at": datetime.now(UTC)}, "revoked", id="revoked"),
    ],
)
def test_an_unusable_link_is_gone(
    system: System, http: httpx.Client, cast: Cast, values: dict[str, Any], reason: str
) -> None:
    link = an_invitation(http, cast.event, cast.owner)
    _spoil(system, link["code"], **values)
    guest = a_person_in(system)
    answer = http.post(f"/api/v1/invitations/{link['code']}/accept", headers=guest.headers)
    assert_problem(answer, 410, "gone", reason)
    assert http.get(f"/api/v1/invitations/{link['code']}").json()["usable"] is False
    members = http.get(f"/api/v1/events/{cast.event['id']}/members", headers=cast.owner.headers)
    assert guest.id not in {m["user_id"] for m in members.json()}


@pytest.mark.parametrize("code", ["no-such-code", "%00", "a%3Fb%3D1", "x" * 200])
def test_accepting_an_unknown_link_is_not_found(
    system: System, http: httpx.Client, code: str
) -> None:
    guest = a_person_in(system)
    answer = http.post(f"/api/v1/invitations/{code}/accept", headers=guest.headers)
    assert_problem(answer, 404, "not-found")


def test_accepting_needs_a_token(http: httpx.Client, cast: Cast) -> None:
    link = an_invitation(http, cast.event, cast.owner)
    answer = http.post(f"/api/v1/invitations/{link['code']}/accept")
    assert_problem(answer, 401, "not-authenticated")
    assert http.get(f"/api/v1/invitations/{link['code']}").json()["uses"] == 0
