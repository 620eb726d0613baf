"""People without accounts: organizers add guests by name; guests are members without rights."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

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
from tripbot.events.models import Membership, User
from tripbot.events.schemas import Credentials, EventOut, GuestCreate, MemberRoleChange, UserOut
from tripbot.platform.db import Database
from tripbot.platform.errors import Conflict, Message, NotAuthenticated, NotFound, PermissionDenied
from tripbot.platform.identity import SYSTEM, Principal
from tripbot.platform.outbox import FeedQuery

Policy = service.AccountPolicy


@dataclass(frozen=True)
class Club:
    """An event with its owner, an organizer, a participant and an outsider."""

    event: EventOut
    owner: UserOut
    organizer: UserOut
    participant: UserOut
    outsider: UserOut

    def of(self, kind: str) -> Principal:
        """The principal of one of them."""
        user: UserOut = getattr(self, kind)
        return as_principal(user)


@pytest.fixture
def club(database: Database, policy: Policy) -> Club:
    """An event and four people around it."""
    owner = a_user(database, policy)
    event = an_event_of(database, owner)
    return Club(
        event=event,
        owner=owner,
        organizer=a_member_of(database, policy, event, owner, "organizer"),
        participant=a_member_of(database, policy, event, owner),
        outsider=a_user(database, policy),
    )


def _members(database: Database, club: Club) -> dict[int, tuple[str, str]]:
    found = service.members.members(events_call(database, club.of("owner")), club.event.id)
    return {m.user_id: (m.display_name, m.role) for m in found}


@pytest.mark.parametrize("kind", ["owner", "organizer"])
def test_organizers_add_a_guest_by_name_who_is_then_a_member(
    database: Database, club: Club, kind: str
) -> None:
    guest = a_guest_of(database, club.event, getattr(club, kind), "  Pepa Guía  ")
    assert (guest.display_name, guest.role) == ("Pepa Guía", "guest")
    assert _members(database, club)[guest.user_id] == ("Pepa Guía", "guest")
    event = service.events.event(events_call(database, club.of("owner")), club.event.id)
    assert event.member_count == 4


def test_two_guests_named_alike_are_two_people(database: Database, club: Club) -> None:
    first = a_guest_of(database, club.event, club.owner, "Juan")
    second = a_guest_of(database, club.event, club.owner, "Juan")
    assert first.user_id != second.user_id
    names = [name for name, _role in _members(database, club).values()]
    assert names.count("Juan") == 2


def test_tripbots_own_components_add_guests(database: Database, club: Club) -> None:
    guest = service.guests.add_guest(
        events_call(database, SYSTEM), club.event.id, GuestCreate(display_name="Lola")
    )
    assert _members(database, club)[guest.user_id] == ("Lola", "guest")


@pytest.mark.parametrize(
    ("kind", "error"), [("participant", PermissionDenied), ("outsider", NotFound)]
)
def test_participants_and_outsiders_cannot_add_guests(
    database: Database, club: Club, kind: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        service.guests.add_guest(
            events_call(database, club.of(kind)), club.event.id, GuestCreate(display_name="X")
        )
    with database.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Membership)) == 3
        assert uow.session.scalar(select(func.count()).where(User.guest_event_id.is_not(None))) == 0


@pytest.mark.parametrize(
    "name",
    ["", "   ", "x" * 81, "Pe\x00pa", "Pepa\nGuía", "Pepa\tGuía", "Pe\u202epa", "Pe\u2028pa"],
)
def test_a_guest_needs_a_printable_name_of_at_most_80_characters(name: str) -> None:
    with pytest.raises(ValidationError):
        GuestCreate(display_name=name)


def test_a_name_may_have_accents_and_emoji(database: Database, club: Club) -> None:
    guest = a_guest_of(database, club.event, club.owner, "Begoña 👩‍👧 Ñ" + "a" * 60)
    assert _members(database, club)[guest.user_id][0].startswith("Begoña 👩‍👧")


def test_a_guest_cannot_log_in_nor_appears_among_accounts(
    database: Database, club: Club, policy: Policy
) -> None:
    guest = a_guest_of(database, club.event, club.owner)
    with database.unit_of_work() as uow:
        row = uow.session.get(User, guest.user_id)
        assert row is not None
        assert row.is_guest
        email, stored = row.email, row.password_hash
    assert email.endswith("@guests.invalid")
    assert not policy.passwords.verify(stored, PASSWORD)
    with pytest.raises(ValidationError):
        Credentials(email=email, password=PASSWORD)
    admin = club.owner  # the first account is the instance's administrator
    listed = service.accounts.users(events_call(database, as_principal(admin)))
    assert guest.user_id not in {u.id for u in listed}


def test_a_guest_has_no_role_to_change_until_claimed(database: Database, club: Club) -> None:
    guest = a_guest_of(database, club.event, club.owner)
    with pytest.raises(Conflict):
        service.members.change_member_role(
            events_call(database, club.of("owner")),
            club.event.id,
            guest.user_id,
            MemberRoleChange(role="organizer"),
        )
    assert _members(database, club)[guest.user_id][1] == "guest"


def test_a_guest_has_no_rights_of_their_own(database: Database, club: Club) -> None:
    guest = a_guest_of(database, club.event, club.owner)
    as_guest = Principal(user_id=guest.user_id, event_id=club.event.id, event_role="guest")
    with pytest.raises(PermissionDenied):
        as_guest.require_event_role(club.event.id, "participant", Message("see it"))
    with pytest.raises(PermissionDenied):
        service.guests.add_guest(
            events_call(database, as_guest), club.event.id, GuestCreate(display_name="Otro")
        )
    with pytest.raises(NotAuthenticated):
        service.accounts.authenticate(
            events_call(database), Credentials(email="pepa@example.org", password=PASSWORD)
        )


def test_organizers_remove_a_guest(database: Database, club: Club) -> None:
    guest = a_guest_of(database, club.event, club.owner)
    service.members.remove_member(
        events_call(database, club.of("organizer")), club.event.id, guest.user_id
    )
    assert guest.user_id not in _members(database, club)


def test_adding_a_guest_is_announced_in_the_feed(database: Database, club: Club) -> None:
    guest = a_guest_of(database, club.event, club.organizer)
    changes = service.feed(events_call(database, SYSTEM), FeedQuery())
    joined = [c for c in changes.entries if c.topic == "member.joined"][-1]
    assert joined.payload["user_id"] == guest.user_id
    assert joined.payload["role"] == "guest"
