"""People without accounts: an organizer adds a guest to an event by name alone; the guest has
no rights of their own (organizers act for them) and is a member like any other for the money,
the gear and the timetable, until they claim their place (``claims``)."""

from __future__ import annotations

import secrets

from tripbot.events import OPERATIONS, rules, store
from tripbot.events.models import Membership, User
from tripbot.events.schemas import GuestCreate, MemberOut
from tripbot.platform.db import UnitOfWork
from tripbot.platform.errors import Message
from tripbot.platform.operations import Call

NO_PASSWORD = "!"  # noqa: S105 - the opposite of a password: nothing hashes to it
"""A guest's password hash: no password ever matches it (it is not a hash)."""


def guest_email() -> str:
    """A unique address no one can type: ``.invalid`` is reserved (RFC 2606) and refused by
    every form and API that takes an email, so a guest can never log in with it."""
    return f"guest-{secrets.token_hex(12)}@guests.invalid"


def create_guest(uow: UnitOfWork, event_id: int, name: str, language: str) -> Membership:
    """Write a guest and their membership of an event (the caller checked who may)."""
    guest = User(
        email=guest_email(),
        display_name=name,
        password_hash=NO_PASSWORD,
        role="member",
        language=language,
        guest_event_id=event_id,
    )
    uow.session.add(guest)
    uow.session.flush()
    joined = Membership(event_id=event_id, user_id=guest.id, role="guest")
    uow.session.add(joined)
    uow.session.flush()
    return joined


@OPERATIONS.post("/events/<int:event_id>/guests", status=201, tag="Members")
def add_guest(call: Call, event_id: int, data: GuestCreate) -> MemberOut:
    """Add a person without an account to an event by name alone (owners and organizers)."""
    # Two guests may share a name: like members, they are told apart by their id.
    with call.unit_of_work() as uow:
        uow.lock_for_write()
        event, role = store.visible_event(uow, call.principal, event_id)
        rules.require_rank(
            "owner" if role == "system" else role,
            "organizer",
            Message("only an event organizer or above may add people without an account"),
        )
        language = "es"
        if call.principal.user_id is not None:
            language = store.user(uow, call.principal.user_id).language
        joined = create_guest(uow, event.id, data.display_name, language)
        store.changed(
            uow,
            "member.joined",
            event_id,
            {"user_id": joined.user_id, "role": "guest", "added_by": call.principal.user_id},
        )
        uow.commit()
        return MemberOut(
            user_id=joined.user_id,
            display_name=data.display_name,
            role="guest",
            joined_at=joined.joined_at,
        )
