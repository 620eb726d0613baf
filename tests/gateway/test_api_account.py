"""The public API's account endpoints: registering, tokens, one's account, the instance's users."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from tests.builders import (
    PASSWORD,
    Person,
    a_person,
    a_person_in,
    an_event,
    an_invitation,
    events_call,
    user_payload,
)
from tests.conftest import make_settings
from tests.problems import assert_problem, invalid_fields
from tripbot.events import service
from tripbot.events.models import ApiToken, Invitation, Membership, User
from tripbot.events.schemas import UserRegister
from tripbot.platform.db import Database
from tripbot.platform.passwords import Passwords
from tripbot.system import System, build_embedded


def _events_db(system: System) -> Database:
    return system.databases["events"]


def _count(system: System, model: type[object]) -> int:
    with _events_db(system).unit_of_work() as uow:
        return uow.session.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def own_system(
    request: pytest.FixtureRequest, tmp_path: Path, database_urls: dict[str, str]
) -> Iterator[System]:
    """A system with its own settings, given by ``@pytest.mark.parametrize('own_system', ...)``
    or indirectly; by default invitation-only with three wrong passwords before a lock."""
    overrides: dict[str, Any] = getattr(request, "param", {})
    built = build_embedded(
        make_settings(tmp_path, **overrides), database_urls, run_migrations=False
    )
    yield built
    built.close()


def _client(system: System) -> httpx.Client:
    return httpx.Client(
        transport=httpx.WSGITransport(app=system.gateway), base_url="http://testserver"
    )


# ---- POST /auth/register ---------------------------------------------------------------------


def test_registering_opens_an_account_the_first_as_admin(http: httpx.Client) -> None:
    first = http.post("/api/v1/auth/register", json=user_payload(email="Ana@Club.Example"))
    second = http.post("/api/v1/auth/register", json=user_payload(language="en"))
    assert first.status_code == 201
    assert second.status_code == 201
    assert first.json()["email"] == "ana@club.example"
    assert (first.json()["role"], second.json()["role"]) == ("admin", "member")
    assert second.json()["language"] == "en"
    assert "password" not in first.text
    assert "password_hash" not in first.text


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        pytest.param({"email": "not-an-email"}, "email", id="invalid-email"),
        pytest.param({"email": "ana@"}, "email", id="email-without-domain"),
        pytest.param({"password": "123456789"}, "password", id="password-of-9"),
        pytest.param({"password": "x" * 257}, "password", id="password-of-257"),
        pytest.param({"display_name": "   "}, "display_name", id="blank-name"),
        pytest.param({"display_name": "x" * 81}, "display_name", id="name-of-81"),
        pytest.param({"display_name": "Ana\x00"}, "display_name", id="nul-in-name"),
        pytest.param({"language": "fr"}, "language", id="unknown-language"),
        pytest.param({"invitation_code": "x" * 65}, "invitation_code", id="long-code"),
        pytest.param({"role": "admin"}, "role", id="unknown-field-role"),
        pytest.param({"password": None}, "password", id="null-password"),
    ],
)
def test_registering_refuses_bad_input(
    system: System, http: httpx.Client, overrides: dict[str, Any], field: str
) -> None:
    answer = http.post("/api/v1/auth/register", json=user_payload(**overrides))
    body = assert_problem(answer, 422, "invalid-input")
    assert invalid_fields(body) == {field}
    assert _count(system, User) == 0


@pytest.mark.parametrize("missing", ["email", "password", "display_name"])
def test_registering_needs_email_password_and_name(http: httpx.Client, missing: str) -> None:
    body = user_payload()
    del body[missing]
    problem = assert_problem(http.post("/api/v1/auth/register", json=body), 422, "invalid-input")
    assert invalid_fields(problem) == {missing}


def test_registering_refuses_a_taken_email(system: System, http: httpx.Client) -> None:
    a_person_in(system, email="ana@club.example")
    answer = http.post("/api/v1/auth/register", json=user_payload(email="ANA@club.example"))
    body = assert_problem(answer, 409, "conflict", "already exists")
    assert body["field"] == "email"
    assert _count(system, User) == 1


def test_registering_with_an_invitation_joins_its_event(http: httpx.Client) -> None:
    owner = a_person(http)
    event = an_event(http, owner)
    invitation = an_invitation(http, event, owner, role="organizer")
    newcomer = a_person(http, invitation_code=invitation["code"])
    members = http.get(f"/api/v1/events/{event['id']}/members", headers=newcomer.headers)
    assert {(m["user_id"], m["role"]) for m in members.json()} == {
        (owner.id, "owner"),
        (newcomer.id, "organizer"),
    }


SPOILED: dict[str, tuple[dict[str, Any], str]] = {
    "used": ({"uses": 1}, "already been used"),
    "expired": ({"expires_at": datetime.now(UTC) - timedelta(minutes=1)}, "expired"),
    "revoked": ({"revoked_at": datetime.now(UTC)}, "revoked"),
}


def _spoil(system: System, code: str, how: str) -> str:
    values, reason = SPOILED[how]
    with _events_db(system).unit_of_work() as uow:
        uow.session.execute(update(Invitation).where(Invitation.code == code).values(**values))
        uow.commit()
    return reason


@pytest.mark.parametrize("how", sorted(SPOILED))
def test_registering_with_an_unusable_invitation_creates_nobody(
    system: System, http: httpx.Client, how: str
) -> None:
    owner = a_person_in(system)
    invitation = an_invitation(http, an_event(http, owner), owner)
    reason = _spoil(system, invitation["code"], how)
    answer = http.post(
        "/api/v1/auth/register", json=user_payload(invitation_code=invitation["code"])
    )
    assert_problem(answer, 410, "gone", reason)
    assert (_count(system, User), _count(system, Membership)) == (1, 1)


def test_registering_with_an_unknown_invitation_creates_nobody(
    system: System, http: httpx.Client
) -> None:
    answer = http.post("/api/v1/auth/register", json=user_payload(invitation_code="nope-nope"))
    assert_problem(answer, 404, "not-found", "no such invitation")
    assert _count(system, User) == 0


def test_a_refused_registration_leaves_the_invitation_unused(
    system: System, http: httpx.Client
) -> None:
    owner = a_person_in(system, email="ana@club.example")
    invitation = an_invitation(http, an_event(http, owner), owner)
    answer = http.post(
        "/api/v1/auth/register",
        json=user_payload(email="ana@club.example", invitation_code=invitation["code"]),
    )
    assert_problem(answer, 409, "conflict")
    assert http.get(f"/api/v1/invitations/{invitation['code']}").json()["uses"] == 0


@pytest.mark.parametrize("own_system", [{"registration": "invitation"}], indirect=True)
def test_an_invitation_only_instance_needs_an_invitation(own_system: System) -> None:
    db = _events_db(own_system)
    policy = service.AccountPolicy(passwords=Passwords("fast"))
    admin = service.accounts.register(
        events_call(db, policy=policy), UserRegister(**user_payload())
    )
    assert admin.role == "admin"
    with _client(own_system) as http:
        refused = http.post("/api/v1/auth/register", json=user_payload())
        assert_problem(refused, 403, "permission-denied", "only through an invitation")
        empty_code = http.post("/api/v1/auth/register", json=user_payload(invitation_code=""))
        assert_problem(empty_code, 403, "permission-denied")
        assert _count(own_system, User) == 1
        token = http.post("/api/v1/auth/token", json={"email": admin.email, "password": PASSWORD})
        owner = Person(admin.id, admin.email, {"Authorization": f"Bearer {token.json()['token']}"})
        invitation = an_invitation(http, an_event(http, owner), owner)
        guest = a_person(http, invitation_code=invitation["code"])
        assert guest.id == admin.id + 1


# ---- POST /auth/token ------------------------------------------------------------------------


def test_a_token_is_given_for_the_right_password_and_shown_once(
    system: System, http: httpx.Client
) -> None:
    person = a_person_in(system, email="ana@club.example")
    answer = http.post(
        "/api/v1/auth/token",
        json={"email": "Ana@Club.Example", "password": PASSWORD, "name": "  My laptop  "},
    )
    assert answer.status_code == 201, answer.text
    created = answer.json()
    assert created["name"] == "My laptop"
    assert created["token"].startswith("tb_")
    assert created["prefix"] == created["token"][:10]
    listed = http.get("/api/v1/me/tokens", headers=person.headers).json()
    assert [t["name"] for t in listed] == ["API", "My laptop"]
    assert all("token" not in t for t in listed)
    with _events_db(system).unit_of_work() as uow:
        hashes = set(uow.session.scalars(select(ApiToken.token_hash)))
    assert hashlib.sha256(created["token"].encode()).hexdigest() in hashes
    assert created["token"] not in hashes
    me = http.get("/api/v1/me", headers={"Authorization": f"Bearer {created['token']}"})
    assert me.json()["id"] == person.id


@pytest.mark.parametrize(
    ("email", "password"),
    [("ana@club.example", "wrong password"), ("nobody@club.example", PASSWORD)],
    ids=["wrong-password", "unknown-email"],
)
def test_a_wrong_email_or_password_gets_no_token(
    system: System, http: httpx.Client, email: str, password: str
) -> None:
    a_person_in(system, email="ana@club.example")
    answer = http.post("/api/v1/auth/token", json={"email": email, "password": password})
    assert_problem(answer, 401, "not-authenticated", "wrong email or password")
    assert _count(system, ApiToken) == 1  # a_person's own


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"email": "ana@club.example"}, "password", id="no-password"),
        pytest.param({"email": "ana@club.example", "password": ""}, "password", id="empty"),
        pytest.param({"email": "ana", "password": PASSWORD}, "email", id="bad-email"),
        pytest.param({"password": PASSWORD}, "email", id="no-email"),
        pytest.param(
            {"email": "ana@club.example", "password": PASSWORD, "name": "   "}, "name", id="blank"
        ),
        pytest.param(
            {"email": "ana@club.example", "password": PASSWORD, "name": "x" * 81}, "name", id="81"
        ),
        pytest.param(
            {"email": "ana@club.example", "password": PASSWORD, "scope": "all"}, "scope", id="extra"
        ),
    ],
)
def test_a_token_request_refuses_bad_input(
    system: System, http: httpx.Client, body: dict[str, Any], field: str
) -> None:
    a_person_in(system, email="ana@club.example")
    problem = assert_problem(http.post("/api/v1/auth/token", json=body), 422, "invalid-input")
    assert invalid_fields(problem) == {field}


# ---- GET and PATCH /me -----------------------------------------------------------------------


def test_me_is_the_tokens_owner(system: System, http: httpx.Client) -> None:
    person = a_person_in(system, display_name="Ana", language="en")
    answer = http.get("/api/v1/me", headers=person.headers)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/json"
    me = answer.json()
    assert (me["id"], me["email"], me["display_name"], me["language"]) == (
        person.id,
        person.email,
        "Ana",
        "en",
    )


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param(None, id="missing"),
        pytest.param("Bearer", id="no-token"),
        pytest.param("Bearer   ", id="blank-token"),
        pytest.param("Bearer tb_not-a-real-token", id="unknown-token"),
        pytest.param("Bearer " + "x" * 300, id="overlong-token"),
        pytest.param("Basic YW5hOnNlY3JldA==", id="basic-auth"),
        pytest.param("Token tb_abc", id="other-scheme"),
    ],
)
def test_me_needs_a_valid_bearer_token(
    system: System, http: httpx.Client, authorization: str | None
) -> None:
    a_person_in(system)
    headers = {} if authorization is None else {"Authorization": authorization}
    assert_problem(http.get("/api/v1/me", headers=headers), 401, "not-authenticated")


def test_people_change_their_name_and_language(system: System, http: httpx.Client) -> None:
    person = a_person_in(system)
    answer = http.patch(
        "/api/v1/me", json={"display_name": "  Ana  ", "language": "en"}, headers=person.headers
    )
    assert answer.status_code == 200, answer.text
    assert (answer.json()["display_name"], answer.json()["language"]) == ("Ana", "en")
    assert http.get("/api/v1/me", headers=person.headers).json()["display_name"] == "Ana"
    unchanged = http.patch("/api/v1/me", json={}, headers=person.headers)
    assert unchanged.json()["display_name"] == "Ana"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"display_name": ""}, "display_name", id="empty-name"),
        pytest.param({"display_name": "x" * 81}, "display_name", id="name-of-81"),
        pytest.param({"display_name": None}, "display_name", id="null-name"),
        pytest.param({"language": "fr"}, "language", id="unknown-language"),
        pytest.param({"language": None}, "language", id="null-language"),
        pytest.param({"email": "new@club.example"}, "email", id="email-not-changeable"),
        pytest.param({"role": "admin"}, "role", id="role-not-changeable"),
    ],
)
def test_changing_ones_account_refuses_bad_input(
    system: System, http: httpx.Client, body: dict[str, Any], field: str
) -> None:
    person = a_person_in(system, display_name="Ana")
    problem = assert_problem(
        http.patch("/api/v1/me", json=body, headers=person.headers), 422, "invalid-input"
    )
    assert field in invalid_fields(problem) or problem.get("field") == field
    me = http.get("/api/v1/me", headers=person.headers).json()
    assert (me["display_name"], me["language"], me["role"]) == ("Ana", "es", "admin")


def test_changing_ones_account_needs_a_token(http: httpx.Client) -> None:
    assert_problem(http.patch("/api/v1/me", json={"language": "en"}), 401, "not-authenticated")


# ---- /me/tokens --------------------------------------------------------------------------------


def test_a_revoked_token_stops_working(system: System, http: httpx.Client) -> None:
    person = a_person_in(system)
    spare = http.post("/api/v1/auth/token", json={"email": person.email, "password": PASSWORD})
    spare_headers = {"Authorization": f"Bearer {spare.json()['token']}"}
    revoked = http.delete(f"/api/v1/me/tokens/{spare.json()['id']}", headers=person.headers)
    assert revoked.status_code == 204
    assert revoked.content == b""
    assert_problem(http.get("/api/v1/me", headers=spare_headers), 401, "not-authenticated")
    listed = http.get("/api/v1/me/tokens", headers=person.headers).json()
    assert spare.json()["id"] not in [t["id"] for t in listed]
    again = http.delete(f"/api/v1/me/tokens/{spare.json()['id']}", headers=person.headers)
    assert_problem(again, 404, "not-found")


def test_a_token_can_revoke_itself(system: System, http: httpx.Client) -> None:
    person = a_person_in(system)
    own_id = http.get("/api/v1/me/tokens", headers=person.headers).json()[0]["id"]
    assert http.delete(f"/api/v1/me/tokens/{own_id}", headers=person.headers).status_code == 204
    assert_problem(http.get("/api/v1/me/tokens", headers=person.headers), 401, "not-authenticated")


def test_nobody_sees_or_revokes_the_tokens_of_others(system: System, http: httpx.Client) -> None:
    ana, luis = a_person_in(system), a_person_in(system)
    anas = http.get("/api/v1/me/tokens", headers=ana.headers).json()
    luiss = http.get("/api/v1/me/tokens", headers=luis.headers).json()
    assert {t["id"] for t in anas}.isdisjoint({t["id"] for t in luiss})
    answer = http.delete(f"/api/v1/me/tokens/{anas[0]['id']}", headers=luis.headers)
    assert_problem(answer, 404, "not-found", f"no token {anas[0]['id']}")
    assert http.get("/api/v1/me", headers=ana.headers).status_code == 200


@pytest.mark.parametrize("token_id", ["999", "2147483648", "99999999999999999999"])
def test_revoking_an_unknown_token_is_not_found(
    system: System, http: httpx.Client, token_id: str
) -> None:
    person = a_person_in(system)
    answer = http.delete(f"/api/v1/me/tokens/{token_id}", headers=person.headers)
    assert_problem(answer, 404, "not-found")


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/api/v1/me/tokens"), ("DELETE", "/api/v1/me/tokens/1")]
)
def test_tokens_need_a_token(http: httpx.Client, method: str, path: str) -> None:
    assert_problem(http.request(method, path), 401, "not-authenticated")


# ---- /users (administrators) -------------------------------------------------------------------


def test_admins_list_every_account(system: System, http: httpx.Client) -> None:
    admin, member = a_person_in(system), a_person_in(system)
    answer = http.get("/api/v1/users", headers=admin.headers)
    assert answer.status_code == 200
    assert [(u["id"], u["role"]) for u in answer.json()] == [
        (admin.id, "admin"),
        (member.id, "member"),
    ]
    refused = http.get("/api/v1/users", headers=member.headers)
    assert_problem(refused, 403, "permission-denied", "only an administrator")
    assert_problem(http.get("/api/v1/users"), 401, "not-authenticated")


@pytest.mark.parametrize("role", ["gear_keeper", "admin", "member"])
def test_admins_give_instance_roles(system: System, http: httpx.Client, role: str) -> None:
    admin, member = a_person_in(system), a_person_in(system)
    answer = http.patch(f"/api/v1/users/{member.id}", json={"role": role}, headers=admin.headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["role"] == role
    assert http.get("/api/v1/me", headers=member.headers).json()["role"] == role


def test_members_give_no_roles(system: System, http: httpx.Client) -> None:
    admin, member = a_person_in(system), a_person_in(system)
    answer = http.patch(
        f"/api/v1/users/{member.id}", json={"role": "admin"}, headers=member.headers
    )
    assert_problem(answer, 403, "permission-denied")
    assert http.get("/api/v1/me", headers=member.headers).json()["role"] == "member"
    anonymous = http.patch(f"/api/v1/users/{admin.id}", json={"role": "member"})
    assert_problem(anonymous, 401, "not-authenticated")


def test_the_instance_keeps_an_admin(system: System, http: httpx.Client) -> None:
    admin, other = a_person_in(system), a_person_in(system)
    alone = http.patch(f"/api/v1/users/{admin.id}", json={"role": "member"}, headers=admin.headers)
    assert_problem(alone, 409, "conflict", "at least one administrator")
    assert http.get("/api/v1/me", headers=admin.headers).json()["role"] == "admin"
    http.patch(f"/api/v1/users/{other.id}", json={"role": "admin"}, headers=admin.headers)
    stepped_down = http.patch(
        f"/api/v1/users/{admin.id}", json={"role": "member"}, headers=admin.headers
    )
    assert stepped_down.json()["role"] == "member"


@pytest.mark.parametrize(
    ("user_id", "body", "status", "slug"),
    [
        pytest.param("999", {"role": "member"}, 404, "not-found", id="unknown-user"),
        pytest.param("2147483648", {"role": "member"}, 404, "not-found", id="impossible-id"),
        pytest.param("2", {"role": "superuser"}, 422, "invalid-input", id="unknown-role"),
        pytest.param("2", {}, 422, "invalid-input", id="no-role"),
        pytest.param("2", {"role": "member", "email": "x@y.es"}, 422, "invalid-input", id="extra"),
    ],
)
def test_role_changes_refuse_bad_input(
    system: System, http: httpx.Client, user_id: str, body: dict[str, Any], status: int, slug: str
) -> None:
    admin = a_person_in(system)
    a_person_in(system)
    answer = http.patch(f"/api/v1/users/{user_id}", json=body, headers=admin.headers)
    assert_problem(answer, status, slug)
