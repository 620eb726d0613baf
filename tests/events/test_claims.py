"""Claiming a guest's place: personal single-use links, a new account made of the guest or
an existing account the guest is merged into, and the feed telling the other services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import select, update

from tests.builders import (
    PASSWORD,
    a_guest_of,
    a_member_of,
    a_user,
    an_event_of,
    as_principal,
    events_call,
)
from tripbot.events import service
from tripbot.events.models import GuestClaim, User
from tripbot.events.schemas import (
    ClaimLinkCreate,
    ClaimRegister,
    Credentials,
    EventOut,
    MemberOut,
    UserOut,
)
from tripbot.platform.db import Database, utcnow
from tripbot.platform.errors import Conflict, Gone, NotFound, PermissionDenied
from tripbot.platform.identity import SYSTEM
from tripbot.platform.outbox import FeedQuery

Policy = service.AccountPolicy
claims = service.claims


def _link(database: Database, event: EventOut, guest: MemberOut, by: UserOut) -> str:
    made = claims.create_claim_link(
        events_call(database, as_principal(by)), event.id, guest.user_id, ClaimLinkCreate()
    )
    assert made.guest_name == guest.display_name
    return made.token


def _roles(database: Database, event: EventOut, by: UserOut) -> dict[int, str]:
    found = service.members.members(events_call(database, as_principal(by)), event.id)
    return {m.user_id: m.role for m in found}


def _claims_told(database: Database) -> list[dict[str, object]]:
    page = service.feed(events_call(database, SYSTEM), FeedQuery())
    return [e.payload for e in page.entries if e.topic == "guest.claimed"]


def _registering(email: str = "pepa@example.org") -> ClaimRegister:
    return ClaimRegister(email=email, password=PASSWORD, language="en")


def test_a_new_account_takes_the_guests_place_and_keeps_their_id(
    database: Database, policy: Policy
) -> None:
    owner = a_user(database, policy)
    event = an_event_of(database, owner)
    guest = a_guest_of(database, event, owner, "Pepa")
    token = _link(database, event, guest, owner)
    preview = claims.preview_claim(events_call(database), token)
    assert (preview.event_name, preview.guest_name) == (event.name, "Pepa")

    claimed = claims.register_claim(events_call(database), token, _registering())
    assert (claimed.merged, claimed.guest_id, claimed.user.id) == (
        False,
        guest.user_id,
        guest.user_id,
    )
    assert (claimed.user.email, claimed.user.display_name) == ("pepa@example.org", "Pepa")
    assert _roles(database, event, owner)[guest.user_id] == "participant"
    logged = service.accounts.authenticate(
        events_call(database), Credentials(email="pepa@example.org", password=PASSWORD)
    )
    assert logged.id == guest.user_id
    assert _claims_told(database) == [
        {
            "event_id": event.id,
            "guest_id": guest.user_id,
            "user_id": guest.user_id,
            "merged": False,
            "guest_name": "Pepa",
            "display_name": "Pepa",
        }
    ]
    with pytest.raises(Gone):
        claims.preview_claim(events_call(database), token)


@pytest.mark.parametrize("already_member", [False, True])
def test_an_existing_account_absorbs_the_guest(
    database: Database, policy: Policy, already_member: bool
) -> None:
    owner = a_user(database, policy)
    event = an_event_of(database, owner)
    guest = a_guest_of(database, event, owner, "Luis sin cuenta")
    if already_member:
        luis = a_member_of(database, policy, event, owner, "organizer")
    else:
        luis = a_user(database, policy, display_name="Luis")
    token = _link(database, event, guest, owner)
    claimed = claims.accept_claim(events_call(database, as_principal(luis)), token)
    assert (claimed.merged, claimed.guest_id, claimed.user.id) == (True, guest.user_id, luis.id)
    roles = _roles(database, event, owner)
    assert guest.user_id not in roles
    assert roles[luis.id] == ("organizer" if already_member else "participant")
    (told,) = _claims_told(database)
    assert (told["guest_id"], told["user_id"], told["merged"]) == (guest.user_id, luis.id, True)
    assert told["guest_name"] == "Luis sin cuenta"
    with pytest.raises(Gone):
        claims.accept_claim(events_call(database, as_principal(luis)), token)


def test_a_link_is_single_use_and_a_new_one_replaces_the_old(
    database: Database, policy: Policy
) -> None:
    owner = a_user(database, policy)
    event = an_event_of(database, owner)
    guest = a_guest_of(database, event, owner)
    first = _link(database, event, guest, owner)
    second = _link(database, event, guest, owner)
    with pytest.raises(NotFound):
        claims.preview_claim(events_call(database), first)
    claims.register_claim(events_call(database), second, _registering())
    with pytest.raises(Gone):
        claims.register_claim(events_call(database), second, _registering("otra@example.org"))
    with pytest.raises(NotFound):  # no longer a guest: no new link
        _link(database, event, guest, owner)


def test_an_expired_link_or_a_removed_guest_is_gone(database: Database, policy: Policy) -> None:
    owner = a_user(database, policy)
    event = an_event_of(database, owner)
    guest, other = a_guest_of(database, event, owner), a_guest_of(database, event, owner)
    expired, removed = _link(database, event, guest, owner), _link(database, event, other, owner)
    with database.unit_of_work() as uow:
        uow.session.execute(
            update(GuestClaim)
            .where(GuestClaim.guest_id == guest.user_id)
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
        uow.commit()
    service.members.remove_member(
        events_call(database, as_principal(owner)), event.id, other.user_id
    )
    for token in (expired, removed):
        with pytest.raises(Gone):
            claims.preview_claim(events_call(database), token)
        with pytest.raises(Gone):
            claims.register_claim(events_call(database), token, _registering())
    with database.unit_of_work() as uow:
        assert uow.session.scalar(select(User.id).where(User.email == "pepa@example.org")) is None


@pytest.mark.parametrize(
    "token", ["x", "no such token at all", "a" * 43, "a" * 500, "ab\x00cd" * 8]
)
def test_unknown_tokens_are_not_found(database: Database, token: str) -> None:
    with pytest.raises(NotFound):
        claims.preview_claim(events_call(database), token)


def test_only_organizers_make_claim_links(database: Database, policy: Policy) -> None:
    owner = a_user(database, policy)
    event = an_event_of(database, owner)
    guest = a_guest_of(database, event, owner)
    participant = a_member_of(database, policy, event, owner)
    outsider = a_user(database, policy)
    with pytest.raises(PermissionDenied):
        _link(database, event, guest, participant)
    with pytest.raises(NotFound):
        _link(database, event, guest, outsider)
    with pytest.raises(NotFound):  # a member who is not a guest has no place to claim
        claims.create_claim_link(
            events_call(database, as_principal(owner)), event.id, participant.id, ClaimLinkCreate()
        )


def test_a_taken_email_or_weak_password_claims_nothing(database: Database, policy: Policy) -> None:
    owner = a_user(database, policy, email="ana@example.org")
    event = an_event_of(database, owner)
    guest = a_guest_of(database, event, owner)
    token = _link(database, event, guest, owner)
    with pytest.raises(Conflict):
        claims.register_claim(events_call(database), token, _registering("ANA@example.org"))
    with pytest.raises(ValidationError):
        ClaimRegister(email="x@example.org", password="short")
    assert _roles(database, event, owner)[guest.user_id] == "guest"
    assert claims.preview_claim(events_call(database), token).guest_id == guest.user_id
    assert _claims_told(database) == []
