"""Small builders of test data: through the public API like a user would, or through the
events service's use cases for the service tests."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import cache
from typing import Any

import httpx

from tests.routes.synthetic import small_gpx
from tripbot.events import service
from tripbot.events.schemas import (
    EventCreate,
    EventOut,
    GuestCreate,
    InvitationCreate,
    InvitationOut,
    MemberOut,
    MemberRoleChange,
    TokenCreate,
    UserOut,
    UserRegister,
)
from tripbot.events.service.accounts import ACCOUNT_POLICY, AccountPolicy
from tripbot.platform.db import Database
from tripbot.platform.identity import ANONYMOUS, Principal
from tripbot.platform.operations import Call, ServiceRuntime
from tripbot.platform.passwords import Passwords
from tripbot.platform.settings import Settings
from tripbot.system import System

PASSWORD = "correct horse battery"
_counter = itertools.count(1)
_FAST_POLICY = service.AccountPolicy(passwords=Passwords("fast"))


@cache
def _settings() -> Settings:
    return Settings(env="test")


def events_call(
    database: Database, principal: Principal = ANONYMOUS, policy: AccountPolicy = _FAST_POLICY
) -> Call:
    """A call of the events service's use cases on its database, for a principal (open
    registration and cheap hashing unless another account policy is given)."""
    runtime = ServiceRuntime("events", _settings(), database, extras={ACCOUNT_POLICY: policy})
    return Call(principal, runtime)


@dataclass(frozen=True)
class Person:
    """A registered user and the headers that authenticate them."""

    id: int
    email: str
    headers: dict[str, str]


def user_payload(**overrides: Any) -> dict[str, Any]:
    """A valid registration body."""
    n = next(_counter)
    body: dict[str, Any] = {
        "email": f"person{n}@club.example",
        "password": PASSWORD,
        "display_name": f"Person {n}",
    }
    body.update(overrides)
    return body


def a_person(http: httpx.Client, **overrides: Any) -> Person:
    """Register someone and get them a personal API token."""
    body = user_payload(**overrides)
    created = http.post("/api/v1/auth/register", json=body)
    assert created.status_code == 201, created.text
    token = http.post(
        "/api/v1/auth/token", json={"email": body["email"], "password": body["password"]}
    )
    assert token.status_code == 201, token.text
    return Person(
        id=created.json()["id"],
        email=body["email"],
        headers={"Authorization": f"Bearer {token.json()['token']}"},
    )


def event_payload(**overrides: Any) -> dict[str, Any]:
    """A valid event body."""
    body: dict[str, Any] = {
        "name": "Ruta del Cares",
        "kind": "excursion",
        "description": "Poncebos - Caín",
        "place": "Poncebos",
        "starts_at": "2027-05-01T08:00:00+02:00",
        "ends_at": "2027-05-01T18:00:00+02:00",
        "timezone": "Europe/Madrid",
        "currency": "EUR",
    }
    body.update(overrides)
    return body


def an_event(http: httpx.Client, owner: Person, **overrides: Any) -> dict[str, Any]:
    """An event owned by someone."""
    response = http.post("/api/v1/events", json=event_payload(**overrides), headers=owner.headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def a_member(
    http: httpx.Client, event: dict[str, Any], organizer: Person, role: str = "participant"
) -> Person:
    """A new person who joined an event through an invitation, with the given role."""
    person = a_person(http)
    invitation = http.post(
        f"/api/v1/events/{event['id']}/invitations",
        json={"role": "organizer" if role == "organizer" else "participant"},
        headers=organizer.headers,
    )
    assert invitation.status_code == 201, invitation.text
    accepted = http.post(
        f"/api/v1/invitations/{invitation.json()['code']}/accept", headers=person.headers
    )
    assert accepted.status_code == 200, accepted.text
    if role == "owner":
        changed = http.patch(
            f"/api/v1/events/{event['id']}/members/{person.id}",
            json={"role": "owner"},
            headers=organizer.headers,
        )
        assert changed.status_code == 200, changed.text
    return person


def an_invitation(
    http: httpx.Client, event: dict[str, Any], by: Person, **body: Any
) -> dict[str, Any]:
    """An invitation link to an event, made by one of its organizers."""
    response = http.post(f"/api/v1/events/{event['id']}/invitations", json=body, headers=by.headers)
    assert response.status_code == 201, response.text
    invitation: dict[str, Any] = response.json()
    return invitation


@dataclass(frozen=True)
class Cast:
    """An event with one person of every kind around it."""

    event: dict[str, Any]
    owner: Person
    organizer: Person
    participant: Person
    outsider: Person

    def person(self, kind: str) -> Person:
        """The owner, organizer, participant or outsider."""
        person: Person = getattr(self, kind)
        return person


def a_cast(http: httpx.Client) -> Cast:
    """An event with its owner, an organizer, a participant, and someone from outside."""
    owner = a_person(http)
    event = an_event(http, owner)
    return Cast(
        event=event,
        owner=owner,
        organizer=a_member(http, event, owner, "organizer"),
        participant=a_member(http, event, owner),
        outsider=a_person(http),
    )


def a_token_request(user: UserOut, **overrides: Any) -> TokenCreate:
    """What asks the events service for a personal API token: the person's own credentials."""
    return TokenCreate(email=user.email, password=PASSWORD, **overrides)


def a_person_in(system: System, **overrides: Any) -> Person:
    """Like ``a_person``, but made straight in the events service: for API tests whose subject
    is not registering, it is ten times faster."""
    database = system.databases["events"]
    user = service.accounts.register(
        events_call(database, policy=_FAST_POLICY), UserRegister(**user_payload(**overrides))
    )
    token = service.tokens.create_token(events_call(database), a_token_request(user))
    return Person(id=user.id, email=user.email, headers={"Authorization": f"Bearer {token.token}"})


def a_cast_in(system: System) -> Cast:
    """Like ``a_cast``, made straight in the events service."""
    database = system.databases["events"]
    people = {
        kind: a_person_in(system) for kind in ("owner", "organizer", "participant", "outsider")
    }
    owner = Principal(user_id=people["owner"].id)
    event = service.events.create_event(
        events_call(database, owner), EventCreate(**event_payload())
    )
    for kind in ("organizer", "participant"):
        data = InvitationCreate(role=kind)
        code = service.invitations.create_invitation(
            events_call(database, owner), event.id, data
        ).code
        joiner = Principal(user_id=people[kind].id)
        service.invitations.accept_invitation(events_call(database, joiner), code)
    return Cast(event=event.model_dump(mode="json"), **people)


def a_route(http: httpx.Client, by: Person, **fields: Any) -> dict[str, Any]:
    """A route in the catalogue, uploaded as a small GPX file (fields are form fields)."""
    content = fields.pop("content", None) or small_gpx(
        str(fields.get("name", "Ruta corta")),
        start=fields.pop("start", (43.2395, -4.857)),
        description=f"upload {next(_counter)}",
    )
    response = http.post(
        "/api/v1/routes",
        files={"file": ("route.gpx", content, "application/gpx+xml")},
        data={k: str(v) for k, v in fields.items()},
        headers=by.headers,
    )
    assert response.status_code == 201, response.text
    route: dict[str, Any] = response.json()
    return route


# ---- the events service's use cases, called directly --------------------------------------


def as_principal(user: UserOut) -> Principal:
    """The principal a service call is made for."""
    return Principal(user_id=user.id, language=user.language)


def a_user(database: Database, policy: service.AccountPolicy, **overrides: Any) -> UserOut:
    """A registered account."""
    return service.accounts.register(
        events_call(database, policy=policy), UserRegister(**user_payload(**overrides))
    )


def an_event_of(database: Database, owner: UserOut, **overrides: Any) -> EventOut:
    """An event owned by someone."""
    data = EventCreate(**event_payload(**overrides))
    return service.events.create_event(events_call(database, as_principal(owner)), data)


def an_invitation_to(
    database: Database, event: EventOut, by: UserOut, **overrides: Any
) -> InvitationOut:
    """An invitation link to an event."""
    data = InvitationCreate(**overrides)
    return service.invitations.create_invitation(
        events_call(database, as_principal(by)), event.id, data
    )


def a_member_of(
    database: Database,
    policy: service.AccountPolicy,
    event: EventOut,
    owner: UserOut,
    role: str = "participant",
) -> UserOut:
    """A new account that joined an event with the given role."""
    user = a_user(database, policy)
    invitation = an_invitation_to(
        database, event, owner, role="organizer" if role == "organizer" else "participant"
    )
    service.invitations.accept_invitation(
        events_call(database, as_principal(user)), invitation.code
    )
    if role == "owner":
        service.members.change_member_role(
            events_call(database, as_principal(owner)),
            event.id,
            user.id,
            MemberRoleChange(role="owner"),
        )
    return user


# ---- agenda ------------------------------------------------------------------------------


def activity_payload(**overrides: Any) -> dict[str, Any]:
    """A valid activity body, within the day of the default event (times in Madrid)."""
    body: dict[str, Any] = {
        "title": "Desayuno en Poncebos",
        "starts_at": "2027-05-01T08:00:00+02:00",
        "ends_at": "2027-05-01T09:00:00+02:00",
    }
    body.update(overrides)
    return body


def an_activity(
    http: httpx.Client, event: dict[str, Any], organizer: Person, **overrides: Any
) -> dict[str, Any]:
    """An activity on an event's agenda, put there by one of its organizers."""
    response = http.post(
        f"/api/v1/events/{event['id']}/activities",
        json=activity_payload(**overrides),
        headers=organizer.headers,
    )
    assert response.status_code == 201, response.text
    activity: dict[str, Any] = response.json()
    return activity


# ---- gear --------------------------------------------------------------------------------


def a_gear_keeper_in(system: System, role: str = "gear_keeper") -> Person:
    """Someone who keeps the club's gear (or, with ``role="admin"``, an administrator)."""
    person = a_person_in(system)
    service.accounts.assign_role(system.databases["events"].unit_of_work(), person.id, role)
    return person


# ---- ledger ------------------------------------------------------------------------------


def an_expense(
    http: httpx.Client, event: dict[str, Any], by: Person, **overrides: Any
) -> dict[str, Any]:
    """An entry in an event's ledger (a shared expense of 23.50 unless told otherwise)."""
    body: dict[str, Any] = {"description": "fuel", "amount": "23.50", **overrides}
    response = http.post(
        f"/api/v1/events/{event['id']}/ledger/entries", json=body, headers=by.headers
    )
    assert response.status_code == 201, response.text
    entry: dict[str, Any] = response.json()
    return entry


def a_guest_of(
    database: Database, event: EventOut, by: UserOut, name: str = "Pepa Guía"
) -> MemberOut:
    """A person without an account, added to an event by name by one of its organizers."""
    return service.guests.add_guest(
        events_call(database, as_principal(by)), event.id, GuestCreate(display_name=name)
    )


def a_guest_in(
    http: httpx.Client, event: dict[str, Any], organizer: Person, name: str = "Pepa Guía"
) -> int:
    """A person without an account added to an event by name through the API: their id."""
    added = http.post(
        f"/api/v1/events/{event['id']}/guests",
        json={"display_name": name},
        headers=organizer.headers,
    )
    assert added.status_code == 201, added.text
    user_id: int = added.json()["user_id"]
    return user_id
