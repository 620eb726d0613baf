"""Claiming a guest's place: an organizer makes a personal, single-use link; whoever opens it
becomes the guest, with a new account (the guest's person id is kept) or their own (the guest
is merged into it, and every service re-points the guest's history when it reads the
``guest.claimed`` change of the feed)."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from tripbot.events import OPERATIONS, rules, store
from tripbot.events.models import Event, GuestClaim, Membership, User
from tripbot.events.schemas import (
    CLAIM_TOKEN_PATTERN,
    ClaimLinkCreate,
    ClaimLinkOut,
    ClaimOut,
    ClaimPreview,
    ClaimRegister,
)
from tripbot.events.service.accounts import policy_of
from tripbot.platform.db import UnitOfWork, utcnow
from tripbot.platform.errors import Conflict, Gone, Message, NotFound
from tripbot.platform.operations import Access, Call
from tripbot.platform.password_rules import refuse_weak

_TOKEN = re.compile(CLAIM_TOKEN_PATTERN)


def guest_membership(uow: UnitOfWork, event_id: int, guest_id: int) -> Membership:
    """A guest's membership of an event, locked; NotFound if they are no guest of it."""
    found = uow.session.scalar(
        select(Membership)
        .where(
            Membership.event_id == event_id,
            Membership.user_id == guest_id,
            Membership.role == "guest",
        )
        .with_for_update()
    )
    if found is None:
        raise NotFound(
            Message("user {user_id} is not a guest of this event"),
            field="guest_id",
            user_id=guest_id,
        )
    return found


@OPERATIONS.post(
    "/events/<int:event_id>/guests/<int:guest_id>/claim-links", status=201, tag="Members"
)
def create_claim_link(
    call: Call, event_id: int, guest_id: int, data: ClaimLinkCreate
) -> ClaimLinkOut:
    """A personal link for a guest to claim their place (owners and organizers); it replaces
    the guest's earlier links not yet used."""
    # The token is shown once; only its hash is kept, like an API token's.
    with call.unit_of_work() as uow:
        uow.lock_for_write()
        event, role = store.visible_event(uow, call.principal, event_id)
        rules.require_rank(
            "owner" if role == "system" else role,
            "organizer",
            Message("only an event organizer or above may make claim links"),
        )
        guest_membership(uow, event_id, guest_id)
        guest = uow.session.get(User, guest_id)
        assert guest is not None  # a membership keeps its user
        uow.session.execute(
            delete(GuestClaim).where(GuestClaim.guest_id == guest_id, GuestClaim.used_at.is_(None))
        )
        token = secrets.token_urlsafe(32)
        claim = GuestClaim(
            token_hash=rules.secret_hash(token),
            guest_id=guest_id,
            event_id=event_id,
            created_by=call.principal.user_id or event.created_by,
            expires_at=utcnow() + timedelta(days=data.expires_in_days),
        )
        uow.session.add(claim)
        uow.commit()
        return ClaimLinkOut(
            token=token,
            event_id=event_id,
            guest_id=guest_id,
            guest_name=guest.display_name,
            expires_at=claim.expires_at,
        )


def _usable_claim(uow: UnitOfWork, token: str, *, lock: bool = False) -> GuestClaim:
    """The claim with a token, if it still works: NotFound for an unknown token, Gone (saying
    why) for one used, expired, or whose guest is no longer in the event."""
    claim = None
    if _TOKEN.fullmatch(token):
        query = select(GuestClaim).where(GuestClaim.token_hash == rules.secret_hash(token))
        claim = uow.session.scalar(query.with_for_update() if lock else query)
    if claim is None:
        raise NotFound(Message("there is no such claim link; check the link"))
    if claim.used_at is not None:
        raise Gone(Message("this claim link has already been used"))
    if claim.expires_at <= utcnow():
        raise Gone(Message("this claim link has expired; ask the organizers for a new one"))
    still = uow.session.scalar(
        select(Membership.id).where(
            Membership.event_id == claim.event_id,
            Membership.user_id == claim.guest_id,
            Membership.role == "guest",
        )
    )
    if still is None:
        raise Gone(Message("this person is no longer a guest of the event"))
    return claim


@OPERATIONS.get("/claims/<token>", access=Access.ANYONE, tag="Members")
def preview_claim(call: Call, token: str) -> ClaimPreview:
    """Whose place in which event a claim link offers (anyone with the link)."""
    with call.unit_of_work() as uow:
        claim = _usable_claim(uow, token)
        event = uow.session.get(Event, claim.event_id)
        guest = uow.session.get(User, claim.guest_id)
        if event is None or guest is None:  # both cascade to the claim: never
            raise NotFound(Message("there is no such claim link; check the link"))
        return ClaimPreview(
            event_id=event.id,
            event_name=event.name,
            guest_id=guest.id,
            guest_name=guest.display_name,
            expires_at=claim.expires_at,
        )


def _claimed(
    uow: UnitOfWork, claim: GuestClaim, guest_name: str, user: User, *, merged: bool
) -> ClaimOut:
    """Spend the claim, tell the feed (every service's followers), and answer."""
    claim.used_at = utcnow()
    claim.used_by = user.id
    guest_id = claim.guest_id
    uow.session.execute(
        delete(GuestClaim).where(GuestClaim.guest_id == guest_id, GuestClaim.used_at.is_(None))
    )
    store.changed(
        uow,
        "guest.claimed",
        claim.event_id,
        {
            "guest_id": guest_id,
            "user_id": user.id,
            "merged": merged,
            "guest_name": guest_name,
            "display_name": user.display_name,
        },
    )
    uow.commit()
    return ClaimOut(
        event_id=claim.event_id, guest_id=guest_id, merged=merged, user=store.user_out(user)
    )


@OPERATIONS.post("/claims/<token>/accept", tag="Members")
def accept_claim(call: Call, token: str) -> ClaimOut:
    """Take a guest's place with one's own account: the guest's history becomes one's own."""
    # If the claimer is already a member they keep their role; otherwise they join as a
    # participant. The guest's row stays as the trail of who they were (no membership).
    user_id = call.principal.require_user()
    with call.unit_of_work() as uow:
        uow.lock_for_write()
        claim = _usable_claim(uow, token, lock=True)
        user, guest = store.user(uow, user_id), uow.session.get(User, claim.guest_id)
        assert guest is not None  # the claim cascades from it
        if user.is_guest:
            raise Conflict(Message("a guest cannot claim another guest's place"))
        place = guest_membership(uow, claim.event_id, guest.id)
        already = uow.session.scalar(
            select(Membership).where(
                Membership.event_id == claim.event_id, Membership.user_id == user.id
            )
        )
        if already is not None:
            uow.session.delete(place)
        else:
            place.user_id, place.role = user.id, "participant"
        uow.session.flush()
        return _claimed(uow, claim, guest.display_name, user, merged=True)


@OPERATIONS.post("/claims/<token>/register", status=201, access=Access.ANYONE, tag="Members")
def register_claim(call: Call, token: str, data: ClaimRegister) -> ClaimOut:
    """Take a guest's place with a new account: the guest becomes it, their id and history
    kept (the link stands for an invitation where registration is by invitation only)."""
    policy = policy_of(call)
    refuse_weak(data.password)
    password_hash = policy.passwords.hash(data.password)
    with call.unit_of_work() as uow:
        uow.lock_for_write()
        claim = _usable_claim(uow, token, lock=True)
        email = data.email.lower()
        if uow.session.scalar(select(User.id).where(User.email == email)) is not None:
            raise Conflict(Message("an account with this email already exists"), field="email")
        guest = uow.session.get(User, claim.guest_id)
        assert guest is not None  # the claim cascades from it
        place = guest_membership(uow, claim.event_id, guest.id)
        guest_name = guest.display_name
        guest.email, guest.password_hash = email, password_hash
        guest.display_name = data.display_name or guest.display_name
        guest.language, guest.guest_event_id = data.language, None
        place.role = "participant"
        try:
            uow.session.flush()
        except IntegrityError as error:  # the same email registered at the same moment
            raise Conflict(
                Message("an account with this email already exists"), field="email"
            ) from error
        return _claimed(uow, claim, guest_name, guest, merged=False)
